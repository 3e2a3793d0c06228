using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using SlmOps.Contracts;

namespace SlmOps.Build.Tasks
{
    /// <summary>
    /// Resolves every <c>SlmModel</c> item (default name, validated metadata, output paths) and decides which ones are
    /// stale. Runs in-process and touches no model bytes, so an up-to-date build costs a few file time stamps and starts
    /// no worker.
    /// </summary>
    public sealed class SlmOpsComputeOutputs : Task
    {
        /// <summary>The <c>SlmModel</c> items.</summary>
        public ITaskItem[] Models { get; set; } = Array.Empty<ITaskItem>();

        /// <summary>Absolute folder for all SlmOps intermediate outputs, <c>$(IntermediateOutputPath)slm/</c>.</summary>
        [Required]
        public string IntermediateDirectory { get; set; } = "";

        /// <summary>
        /// The target this build ships: <c>$(SlmOpsTarget)</c>, else <c>$(RuntimeIdentifier)</c>, else the build machine's
        /// RID. Without <see cref="Targets"/> it is the only target; with them, the one whose name or RID it is ships.
        /// </summary>
        [Required]
        public string Target { get; set; } = "";

        /// <summary>
        /// True when <see cref="Target"/> was asked for (<c>SlmOpsTarget</c> or <c>RuntimeIdentifier</c> set, as by
        /// <c>dotnet publish -r</c>): then no <see cref="Targets"/> entry for it is SLM1015. Otherwise the first target ships.
        /// </summary>
        public bool TargetRequested { get; set; }

        /// <summary>
        /// The <c>SlmTarget</c> items: a RID or a device profile each (docs/device-profiles.md), with metadata that
        /// override the profile's settings and <c>RuntimeIdentifier</c>/<c>ExecutionProvider</c> for a project's own.
        /// Every model gets a variant per target.
        /// </summary>
        public ITaskItem[] Targets { get; set; } = Array.Empty<ITaskItem>();

        /// <summary>
        /// The <c>SlmTargetProfile</c> items: device profiles a project (or a Directory.Build.props for a whole repository)
        /// defines, or built-in ones it changes, for <c>SlmTarget</c> items to name. A profile alone prepares nothing.
        /// </summary>
        public ITaskItem[] Profiles { get; set; } = Array.Empty<ITaskItem>();

        /// <summary>
        /// <c>$(SlmOpsTargets)</c>: <c>;</c>-separated target names to prepare instead of every <see cref="Targets"/>
        /// item, as a CI job per device does (<c>-p:SlmOpsTargets=rpi5</c>); a name no item has is a RID or profile as is.
        /// </summary>
        public string TargetFilter { get; set; } = "";

        /// <summary>The worker assembly. A newer worker makes every model stale, as a new compiler would.</summary>
        public string WorkerPath { get; set; } = "";

        /// <summary>Recorded in the metadata stamp so that a tool upgrade reruns every model.</summary>
        public string ToolVersion { get; set; } = "";

        /// <summary>Design-time (IDE) builds only need the contract, which the generator reads.</summary>
        public bool DesignTime { get; set; }

        /// <summary>
        /// The project file, <c>$(MSBuildProjectFullPath)</c>: errors about items are reported on it and relative metadata
        /// paths resolve against its folder (<see cref="ProjectFiles.Of"/>).
        /// </summary>
        public string ProjectFile { get; set; } = "";

        /// <summary>
        /// <c>$(SlmOpsIgnoredMetadata)</c>: <c>;</c>-separated metadata names that other tools own, so an item may carry
        /// them without the SLM1010 warning for metadata the SDK does not know.
        /// </summary>
        public string IgnoredMetadata { get; set; } = "";

        /// <summary><c>$(SlmOpsModelsFolder)</c>: where in the output the models go, and where the generated <c>Load()</c> looks.</summary>
        public string ModelsFolder { get; set; } = ModelRules.DefaultModelsFolder;

        /// <summary>
        /// The <c>SlmModelPackage</c> items: model packages (an id with an exact <c>Version</c>) that restore downloads and
        /// the worker takes the variant of every target from, verified against the package's manifests.
        /// </summary>
        public ITaskItem[] Packages { get; set; } = Array.Empty<ITaskItem>();

        /// <summary><c>$(NuGetPackageRoot)</c>: the packages folder restore extracts <see cref="Packages"/> into.</summary>
        public string PackagesRoot { get; set; } = "";

        /// <summary>
        /// <c>$(SlmOpsRequireSignedModels)</c>: every model package must be signed by a signer the project's NuGet
        /// configuration trusts (its <c>trustedSigners</c>); the worker checks it before it takes a variant (SLM5006).
        /// </summary>
        public bool RequireSignedModels { get; set; }

        /// <summary>Every model, with resolved metadata (Name, Namespace, Kind) and output paths.</summary>
        [Output]
        public ITaskItem[] ResolvedModels { get; private set; } = Array.Empty<ITaskItem>();

        /// <summary>The subset of <see cref="ResolvedModels"/> that the worker must prepare.</summary>
        [Output]
        public ITaskItem[] StaleModels { get; private set; } = Array.Empty<ITaskItem>();

        public override bool Execute()
        {
            var resolved = new List<ITaskItem>();
            var stale = new List<ITaskItem>();
            var names = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            var ignored = new HashSet<string>(IgnoredMetadata.Split(new[] { ';' }, StringSplitOptions.RemoveEmptyEntries).Select(n => n.Trim()), StringComparer.OrdinalIgnoreCase);
            string? folderProblem = ModelRules.ModelsFolderProblem(ModelsFolder);
            if (folderProblem is not null)
            {
                return Error("SLM1013", $"SlmOpsModelsFolder '{ModelsFolder}' cannot hold the models: {folderProblem}. Set it to a folder relative to the output directory, such as 'models' or 'assets/models'.");
            }

            List<DeviceProfile>? targets = ResolveTargets(ignored);
            if (targets is null)
            {
                return false;
            }

            DeviceProfile? shipped = targets.FirstOrDefault(t => string.Equals(t.Name, Target, StringComparison.OrdinalIgnoreCase))
                ?? targets.FirstOrDefault(t => string.Equals(t.RuntimeIdentifier, Target, StringComparison.OrdinalIgnoreCase))
                ?? (TargetRequested ? null : targets[0]);
            if (shipped is null)
            {
                return Error("SLM1015", $"This build is for '{Target}', and no SlmTarget is that RID or runs under it (the targets are {string.Join(", ", targets.Select(t => $"{t.Name} ({t.RuntimeIdentifier})"))}). Add <SlmTarget Include=\"{Target}\" />, or a device profile for {Target}.");
            }

            foreach (var (model, isPackage) in Models.Select(m => (m, false)).Concat(Packages.Select(p => (p, true))))
            {
                List<ITaskItem>? items;
                try
                {
                    items = isPackage ? ResolvePackage(model, names, ignored, targets, shipped) : Resolve(model, names, ignored, targets, shipped);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    Error("SLM1009", $"SlmModel '{model.ItemSpec}': the SDK cannot read or write its files under '{IntermediateDirectory}': {ex.Message} Check that the obj folder is writable and the disk is not full, then build again.");
                    continue;
                }

                foreach (ITaskItem item in items ?? new List<ITaskItem>())
                {
                    string target = item.GetMetadata("SlmOpsTarget");
                    string reason;
                    try
                    {
                        reason = StaleReason(item, new ModelLayout(IntermediateDirectory, item.GetMetadata("Name"), target));
                    }
                    catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                    {
                        Error("SLM1009", $"SlmModel '{model.ItemSpec}': the SDK cannot read its files under '{IntermediateDirectory}': {ex.Message} Check that the obj folder is readable, then build again.");
                        continue;
                    }

                    resolved.Add(item);
                    if (reason.Length > 0)
                    {
                        Log.LogMessage(MessageImportance.Low, $"SlmOps: '{item.GetMetadata("Name")}' ({target}) must be prepared: {reason}.");
                        stale.Add(item);
                    }
                    else
                    {
                        Log.LogMessage(MessageImportance.Low, $"SlmOps: '{item.GetMetadata("Name")}' ({target}) is up to date.");
                    }
                }
            }

            ResolvedModels = resolved.ToArray();
            StaleModels = stale.ToArray();
            return !Log.HasLoggedErrors;
        }

        /// <summary>
        /// The targets: one per <c>SlmTarget</c> item (a built-in profile, a RID, or a project's own profile given a
        /// <c>RuntimeIdentifier</c>), its metadata over the profile's defaults; without items, <see cref="Target"/> alone.
        /// Null after reporting an error.
        /// </summary>
        private List<DeviceProfile>? ResolveTargets(ICollection<string> ignored)
        {
            ITaskItem[] items = Targets;
            string[] filter = TargetFilter.Split(new[] { ';' }, StringSplitOptions.RemoveEmptyEntries).Select(n => n.Trim()).Where(n => n.Length > 0).ToArray();
            if (filter.Length > 0)
            {
                items = filter.Select(n => Targets.FirstOrDefault(t => string.Equals(t.ItemSpec.Trim(), n, StringComparison.OrdinalIgnoreCase)) ?? new TaskItem(n)).ToArray();
            }

            var profiles = new List<DeviceProfile>();
            bool ok = true;
            foreach (ITaskItem item in Profiles)
            {
                // A project's own profile, or a built-in one with fields of the project's.
                DeviceProfile? profile = ReadTarget(item, "SlmTargetProfile", DeviceProfile.Find, profiles, ignored);
                ok &= profile is not null;
                if (profile is not null) profiles.Add(profile);
            }

            if (items.Length == 0)
            {
                var profile = Named(profiles, Target) ?? DeviceProfile.Find(Target);
                return ok ? new List<DeviceProfile> { profile ?? new DeviceProfile(Target, Target, "cpu", "", new Dictionary<string, string>()) } : null;
            }

            var targets = new List<DeviceProfile>();
            foreach (ITaskItem item in items)
            {
                DeviceProfile? target = ReadTarget(item, "SlmTarget", name => Named(profiles, name) ?? DeviceProfile.Find(name), targets, ignored);
                ok &= target is not null;
                if (target is not null) targets.Add(target);
            }

            return ok ? targets : null;
        }

        /// <summary>
        /// One <c>SlmTarget</c> or <c>SlmTargetProfile</c> item: its name, the profile <paramref name="find"/> gives for
        /// that name (its defaults first), then the item's RuntimeIdentifier, ExecutionProvider and settings over
        /// them. Null after reporting an error (SLM1016), including a name already in <paramref name="seen"/>.
        /// </summary>
        private DeviceProfile? ReadTarget(ITaskItem item, string itemType, Func<string, DeviceProfile?> find, IEnumerable<DeviceProfile> seen, ICollection<string> ignored)
        {
            string name = item.ItemSpec.Trim();
            DeviceProfile? profile = find(name);
            string rid = item.GetMetadata(DeviceProfile.RuntimeIdentifierMetadata).Trim();
            if (rid.Length == 0) rid = profile?.RuntimeIdentifier ?? (DeviceProfile.LooksLikeRid(name) ? name : "");
            string provider = item.GetMetadata(DeviceProfile.ExecutionProviderMetadata).Trim().ToLowerInvariant();
            if (provider.Length == 0) provider = profile?.ExecutionProvider ?? "cpu";
            if (name.Length == 0 || name[0] == '.' || name.Any(c => !char.IsLetterOrDigit(c) && c != '-' && c != '.' && c != '_'))
            {
                Error("SLM1016", $"{itemType} '{name}' is not a name a variant folder can have: use letters, digits, '-', '_' and '.', such as 'rpi5' or 'linux-arm64'.");
                return null;
            }

            if (rid.Length == 0)
            {
                Error("SLM1016", $"{itemType} '{name}' is neither a runtime identifier nor a device profile (built in: {string.Join(", ", DeviceProfile.BuiltIn.Select(p => p.Name))}; the project's: SlmTargetProfile items). Give it RuntimeIdentifier metadata (for example RuntimeIdentifier=\"linux-arm64\") to define a profile of your own.");
                return null;
            }

            if (Array.IndexOf(DeviceProfile.ExecutionProviders, provider) < 0)
            {
                Error("SLM1016", $"{itemType} '{name}': ExecutionProvider '{provider}' is not one the SDK knows; use one of {string.Join(", ", DeviceProfile.ExecutionProviders)}.");
                return null;
            }

            if (Named(seen, name) is not null)
            {
                Error("SLM1016", $"{itemType} '{name}' is listed twice. Remove one, or give one another name with RuntimeIdentifier metadata.");
                return null;
            }

            var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            if (profile is not null)
            {
                foreach (var pair in profile.Defaults) settings[pair.Key] = pair.Value;
            }

            foreach (string metadata in item.CloneCustomMetadata().Keys.Cast<string>())
            {
                if (metadata is DeviceProfile.RuntimeIdentifierMetadata or DeviceProfile.ExecutionProviderMetadata || ignored.Contains(metadata))
                {
                    continue;
                }

                ModelSetting? setting = ModelSettings.All.FirstOrDefault(s => string.Equals(s.Metadata, metadata, StringComparison.OrdinalIgnoreCase));
                if (setting is null)
                {
                    Log.LogWarning(null, "SLM1010", null, ProjectFileOrNode, 0, 0, 0, 0,
                        $"{itemType} '{name}': the metadata '{metadata}' is not one the SDK knows, so it has no effect. A target takes RuntimeIdentifier, ExecutionProvider and the SlmModel settings (docs/device-profiles.md).");
                    continue;
                }

                string value = item.GetMetadata(metadata);
                if (value.Trim().Length > 0) settings[setting.Metadata] = value;
            }

            return new DeviceProfile(name, rid, provider, profile?.Description ?? "", settings);
        }

        private static DeviceProfile? Named(IEnumerable<DeviceProfile> profiles, string name) =>
            profiles.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));

        /// <summary>The model's item once per target, its metadata over the target's settings; null after reporting an error.</summary>
        private List<ITaskItem>? Resolve(ITaskItem model, Dictionary<string, string> names, ICollection<string> ignored, List<DeviceProfile> targets, DeviceProfile shipped)
        {
            string source = model.GetMetadata("FullPath");
            string name = model.GetMetadata("Name");
            if (name.Length == 0)
            {
                name = ModelRules.ToPascalCase(Path.GetFileNameWithoutExtension(source), "_");
            }

            string ns = model.GetMetadata("Namespace");
            string kind = model.GetMetadata("Kind");
            if (kind.Length == 0)
            {
                kind = ModelKinds.Auto;
            }

            string sha = ModelRules.NormalizeSha256(model.GetMetadata("Sha256"));
            bool ok = CheckIdentity("SlmModel", model.ItemSpec, name, ns, kind, names, "auto");

            if (sha.Length > 0 && !ModelRules.IsSha256(sha))
            {
                ok = Error("SLM1007", $"SlmModel '{model.ItemSpec}': Sha256 '{sha}' is not a SHA-256 hash. Give 64 hexadecimal digits, or remove the metadata.");
            }

            foreach (string versionMetadata in new[] { "Version", "MinAppVersion" })
            {
                string version = model.GetMetadata(versionMetadata).Trim();
                if (version.Length > 0 && !IsVersion(version))
                {
                    ok = Error("SLM1017", $"SlmModel '{model.ItemSpec}': {versionMetadata} '{version}' is not a version. Give a semantic version such as 1.2.0 or 2.0.0-beta.1.");
                }
            }

            string rolloutChannel = model.GetMetadata("Channel").Trim();
            if (rolloutChannel.Length > 0 && (rolloutChannel.Length > 64 || !System.Text.RegularExpressions.Regex.IsMatch(rolloutChannel, "^[A-Za-z0-9][A-Za-z0-9._-]*$")))
            {
                ok = Error("SLM1017", $"SlmModel '{model.ItemSpec}': Channel '{rolloutChannel}' is not a channel name. Use letters, digits, '.', '_' and '-', such as canary, beta or stable.");
            }

            // The item's own metadata, judged with the precision each target gives it: warned about when no target reads it.
            var own = model.CloneCustomMetadata().Keys.Cast<string>().ToList();
            var merged = targets.Select(target => Merge(model, target)).ToList();
            var warnings = merged.Select(item => ItemMetadata.Check(model.ItemSpec, own, item.GetMetadata, ignored).ToList()).ToList();
            foreach (var (code, message) in warnings[0].Where(w => warnings.All(other => other.Contains(w))))
            {
                Log.LogWarning(null, code, null, ProjectFileOrNode, 0, 0, 0, 0, message);
            }

            if (!ok)
            {
                return null;
            }

            var items = new List<ITaskItem>();
            for (int t = 0; t < targets.Count; t++)
            {
                DeviceProfile target = targets[t];
                TaskItem item = merged[t];

                foreach (string pathMetadata in new[] { "CalibrationRanges", "SampleData", "Tokenizer" })
                {
                    string relative = item.GetMetadata(pathMetadata);
                    if (relative.Length > 0)
                    {
                        // Relative to the project file, like the item itself; the worker may run in another folder.
                        string projectDirectory = Path.GetDirectoryName(ProjectFileOrNode) ?? "";
                        item.SetMetadata(pathMetadata, Path.GetFullPath(Path.Combine(projectDirectory, relative)));
                    }
                }

                items.Add(Place(item, name, ns, kind, sha, target, shipped));
            }

            return items;
        }

        /// <summary>
        /// An <c>SlmModelPackage</c> item: the model package <c>Include</c> (an id) at exact <c>Version</c>, which restore
        /// downloaded (the SDK adds a <c>PackageDownload</c>), one item per target whose source is the package's .nupkg in
        /// the packages folder. The worker takes each target's variant from it. Null after reporting an error.
        /// </summary>
        private List<ITaskItem>? ResolvePackage(ITaskItem package, Dictionary<string, string> names, ICollection<string> ignored, List<DeviceProfile> targets, DeviceProfile shipped)
        {
            string id = package.ItemSpec.Trim();
            string version = package.GetMetadata("Version").Trim();
            string name = package.GetMetadata("Name");
            if (name.Length == 0)
            {
                name = ModelRules.ToPascalCase(id.Substring(id.LastIndexOf('.') + 1), "_");
            }

            string ns = package.GetMetadata("Namespace");
            string kind = package.GetMetadata("Kind");
            if (kind.Length == 0)
            {
                kind = ModelKinds.Auto;
            }

            bool ok = true;
            if (id.Length == 0 || id.Length > 100 || !System.Text.RegularExpressions.Regex.IsMatch(id, @"^\w+([.-]\w+)*$"))
            {
                ok = Error("SLM5005", $"SlmModelPackage '{id}' is not a NuGet package id. Give the id of the model package, such as Contoso.Models.MiniLm.");
            }
            else if (!IsVersion(version))
            {
                ok = Error("SLM5005", $"SlmModelPackage '{id}': Version '{version}' is not an exact package version. Give the version to restore, such as Version=\"1.2.0\": a model package is pinned, not a range, so that every build ships the same bytes.");
            }

            ok &= CheckIdentity("SlmModelPackage", id, name, ns, kind, names, "auto (the kind the package records)");

            foreach (string metadata in package.CloneCustomMetadata().Keys.Cast<string>())
            {
                if (Array.IndexOf(PackageMetadata, metadata) < 0 && !ignored.Contains(metadata))
                {
                    Log.LogWarning(null, "SLM1010", null, ProjectFileOrNode, 0, 0, 0, 0,
                        $"SlmModelPackage '{id}': the metadata '{metadata}' is not one the SDK knows, so it has no effect. A model package's variants are made and validated by the build that packed them; an SlmModelPackage takes {string.Join(", ", PackageMetadata)} (docs/item-metadata.md).");
                }
            }

            if (!ok)
            {
                return null;
            }

            string lowerId = id.ToLowerInvariant();
            string lowerVersion = NormalizeVersion(version).ToLowerInvariant();
            string nupkg = Path.Combine(PackagesRoot, lowerId, lowerVersion, $"{lowerId}.{lowerVersion}.nupkg");
            if (PackagesRoot.Length == 0 || !File.Exists(nupkg))
            {
                Error("SLM5005", $"SlmModelPackage '{id}' {version} is not restored{(PackagesRoot.Length == 0 ? "" : $" ('{nupkg}' does not exist)")}. Restore the project (dotnet restore, or a build without --no-restore) from a feed that has the package; NuGet's log says why it could not be downloaded.");
                return null;
            }

            return targets.Select(target =>
            {
                var item = new TaskItem(nupkg);
                item.SetMetadata("SlmOpsFromPackage", "true");
                item.SetMetadata("Version", version);
                // In the stamp: turning the requirement on checks every package again.
                item.SetMetadata("SlmOpsTrustedSignersFrom", RequireSignedModels ? Path.GetDirectoryName(ProjectFileOrNode) ?? "" : "");
                return (ITaskItem)Place(item, name, ns, kind, "", target, shipped);
            }).ToList();
        }

        /// <summary>
        /// The checks every model item gets, an <c>SlmModel</c> or an <c>SlmModelPackage</c>: a class name (SLM1001), a
        /// namespace (SLM1004), a kind (SLM1002), and a name no other item of the project has (SLM1003, recorded in
        /// <paramref name="names"/>). False after reporting an error.
        /// </summary>
        private bool CheckIdentity(string itemType, string itemSpec, string name, string ns, string kind, Dictionary<string, string> names, string auto)
        {
            bool ok = true;
            if (ModelRules.ClassNameProblem(name) is string nameProblem)
            {
                ok = Error("SLM1001", $"{itemType} '{itemSpec}': Name '{name}' is not a valid class name for the generated wrapper: {nameProblem}. Set the Name metadata to an identifier such as 'MiniLm'.");
            }

            if (ModelRules.NamespaceProblem(ns) is string namespaceProblem)
            {
                ok = Error("SLM1004", $"{itemType} '{itemSpec}': Namespace '{ns}' is not a valid C# namespace: {namespaceProblem}. Set the Namespace metadata (default: $(RootNamespace).Models).");
            }

            if (!ModelKinds.IsKnown(kind))
            {
                ok = Error("SLM1002", $"{itemType} '{itemSpec}': Kind '{kind}' is not supported. Use {auto}, generic, embedding or causal-lm.");
            }

            if (names.TryGetValue(name, out string? other))
            {
                ok = Error("SLM1003", $"{itemType} '{itemSpec}' and '{other}' both have the Name '{name}'. Give one of them another Name metadata.");
            }
            else
            {
                names.Add(name, itemSpec);
            }

            return ok;
        }

        /// <summary>The metadata an <c>SlmModelPackage</c> takes.</summary>
        private static readonly string[] PackageMetadata = { "Version", "Name", "Namespace", "Kind" };

        /// <summary>A semantic version: 1.2, 1.2.3 or 1.2.3.4, with an optional pre-release label and build metadata.</summary>
        private static bool IsVersion(string version) =>
            System.Text.RegularExpressions.Regex.IsMatch(version, @"^\d+(\.\d+){1,3}(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$");

        /// <summary>The version as NuGet names its folder: three parts at least, a zero fourth dropped, no build metadata.</summary>
        private static string NormalizeVersion(string version)
        {
            int plus = version.IndexOf('+');
            if (plus >= 0) version = version.Substring(0, plus);
            int dash = version.IndexOf('-');
            string label = dash >= 0 ? version.Substring(dash) : "";
            var parts = (dash >= 0 ? version.Substring(0, dash) : version).Split('.').Select(p => p.TrimStart('0').Length == 0 ? "0" : p.TrimStart('0')).ToList();
            while (parts.Count < 3) parts.Add("0");
            if (parts.Count == 4 && parts[3] == "0") parts.RemoveAt(3);
            return string.Join(".", parts) + label;
        }

        /// <summary>
        /// The item of one model × target: its resolved metadata and where its outputs go (<see cref="ModelLayout"/>),
        /// with the stamp file rewritten when they changed.
        /// </summary>
        private TaskItem Place(TaskItem item, string name, string ns, string kind, string sha, DeviceProfile target, DeviceProfile shipped)
        {
            var stamped = new TaskItem(item);
            var layout = new ModelLayout(IntermediateDirectory, name, target.Name);
            item.SetMetadata("Name", name);
            item.SetMetadata("Namespace", ns);
            item.SetMetadata("Kind", kind);
            item.SetMetadata("Sha256", sha);
            item.SetMetadata("SlmOpsTarget", target.Name);
            item.SetMetadata("SlmOpsDisplayPath", ProjectFiles.RelativePath(Path.GetDirectoryName(ProjectFileOrNode) ?? "", item.GetMetadata("FullPath")));
            item.SetMetadata("SlmOpsRuntimeIdentifier", target.RuntimeIdentifier == target.Name ? "" : target.RuntimeIdentifier);
            item.SetMetadata("SlmOpsExecutionProvider", target.ExecutionProvider == "cpu" ? "" : target.ExecutionProvider);
            // Which target ships is not in the stamp: switching between build and publish -r reprepares nothing.
            item.SetMetadata("SlmOpsShip", ReferenceEquals(target, shipped) ? "true" : "false");
            item.SetMetadata("ModelDirectory", layout.ModelDirectory);
            item.SetMetadata("VariantDirectory", layout.VariantDirectory);
            item.SetMetadata("ContractFile", layout.ContractFile);
            item.SetMetadata("VariantFile", layout.VariantFile);
            item.SetMetadata("ManifestFile", layout.ManifestFile);
            item.SetMetadata("DepsFile", layout.DepsFile);
            item.SetMetadata("StampFile", layout.StampFile);
            WriteStampIfChanged(layout.StampFile, stamped, item);
            return item;
        }

        /// <summary>The model's item with the target's settings where the item leaves them empty.</summary>
        private static TaskItem Merge(ITaskItem model, DeviceProfile target)
        {
            var item = new TaskItem(model);
            foreach (var setting in target.Defaults)
            {
                if (model.GetMetadata(setting.Key).Trim().Length == 0) item.SetMetadata(setting.Key, setting.Value);
            }

            return item;
        }

        /// <summary>Why the model must be prepared, or an empty string when its outputs are up to date.</summary>
        private string StaleReason(ITaskItem item, ModelLayout layout)
        {
            DateTime oldestOutput = DateTime.MaxValue;
            foreach (string output in layout.ExpectedOutputs(DesignTime))
            {
                if (!File.Exists(output))
                {
                    return $"'{output}' does not exist";
                }

                DateTime time = File.GetLastWriteTimeUtc(output);
                if (time < oldestOutput)
                {
                    oldestOutput = time;
                }
            }

            DepsFile? deps = DepsFile.TryRead(layout.DepsFile);
            if (deps is null)
            {
                return $"'{layout.DepsFile}' does not exist";
            }

            var inputs = new List<string> { item.GetMetadata("FullPath"), layout.StampFile };
            if (WorkerPath.Length > 0)
            {
                inputs.Add(WorkerPath);
            }

            inputs.AddRange(deps.Inputs);
            foreach (string input in inputs)
            {
                if (!File.Exists(input))
                {
                    return $"input '{input}' does not exist";
                }

                if (File.GetLastWriteTimeUtc(input) > oldestOutput)
                {
                    return $"'{input}' is newer than the outputs";
                }
            }

            return "";
        }

        /// <summary>
        /// The stamp records the item's metadata and the tool version. It is rewritten only when they change, so its
        /// time stamp tells whether the metadata changed since the last run, as MSBuild has no other way to know.
        /// </summary>
        private void WriteStampIfChanged(string stampFile, ITaskItem original, ITaskItem resolved)
        {
            var text = new StringBuilder();
            text.Append("tool=").Append(ToolVersion).Append('\n');
            text.Append("source=").Append(resolved.GetMetadata("FullPath")).Append('\n');
            var metadata = original.CloneCustomMetadata();
            var keys = metadata.Keys.Cast<string>().ToList();
            keys.Sort(StringComparer.Ordinal);
            foreach (string key in keys)
            {
                text.Append(key).Append('=').Append(resolved.GetMetadata(key)).Append('\n');
            }

            foreach (string key in new[] { "Name", "Namespace", "Kind", "Sha256", "SlmOpsTarget", "SlmOpsRuntimeIdentifier", "SlmOpsExecutionProvider" })
            {
                text.Append("resolved.").Append(key).Append('=').Append(resolved.GetMetadata(key)).Append('\n');
            }

            string content = text.ToString();
            if (File.Exists(stampFile) && File.ReadAllText(stampFile) == content)
            {
                return;
            }

            FileCommit.WriteAllText(stampFile, content);
        }

        private string ProjectFileOrNode => ProjectFiles.Of(ProjectFile, BuildEngine);

        private bool Error(string code, string message)
        {
            Log.LogError(null, code, null, ProjectFileOrNode, 0, 0, 0, 0, message);
            return false;
        }
    }
}
