using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SlmOps.Testing;

/// <summary>
/// An HTTP NuGet v3 feed on 127.0.0.1 for tests: a service index with <c>PackagePublish/2.0.0</c> (PUT, multipart,
/// <c>X-NuGet-ApiKey</c> checked) and <c>PackageBaseAddress/3.0.0</c> (the flat container: versions and .nupkg
/// downloads). Enough for NuGet.Protocol's push and download; no internet.
/// </summary>
public sealed class LoopbackFeed : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Dictionary<(string Id, string Version), byte[]> _packages = [];
    private readonly Task _loop;

    public LoopbackFeed(string apiKey)
    {
        ApiKey = apiKey;
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        Root = $"http://127.0.0.1:{port}/";
        _listener.Prefixes.Add(Root);
        _listener.Start();
        _loop = Task.Run(Serve);
    }

    public string Root { get; }

    public string ApiKey { get; }

    public string ServiceIndex => Root + "v3/index.json";

    /// <summary>The packages pushed so far, by lower-case id and normalized version.</summary>
    public IReadOnlyDictionary<(string Id, string Version), byte[]> Packages
    {
        get
        {
            lock (_packages) return new Dictionary<(string, string), byte[]>(_packages);
        }
    }

    private async Task Serve()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            try
            {
                Handle(context);
            }
            catch (Exception)
            {
                context.Response.StatusCode = 500;
            }
            finally
            {
                context.Response.Close();
            }
        }
    }

    private void Handle(HttpListenerContext context)
    {
        string path = context.Request.Url!.AbsolutePath;
        if (context.Request.HttpMethod == "GET" && path == "/v3/index.json")
        {
            Write(context, $$"""
                {"version": "3.0.0", "resources": [
                  {"@id": "{{Root}}api/v2/package", "@type": "PackagePublish/2.0.0"},
                  {"@id": "{{Root}}v3/flatcontainer/", "@type": "PackageBaseAddress/3.0.0"}
                ]}
                """);
        }
        else if (context.Request.HttpMethod == "PUT" && path.TrimEnd('/') == "/api/v2/package")
        {
            if (context.Request.Headers["X-NuGet-ApiKey"] != ApiKey)
            {
                context.Response.StatusCode = 403;
                return;
            }

            byte[] package = Part(context.Request);
            using var reader = new NuGet.Packaging.PackageArchiveReader(new MemoryStream(package));
            var identity = reader.GetIdentity();
            lock (_packages) _packages[(identity.Id.ToLowerInvariant(), identity.Version.ToNormalizedString().ToLowerInvariant())] = package;
            context.Response.StatusCode = 201;
        }
        else if (context.Request.HttpMethod == "GET" && path.StartsWith("/v3/flatcontainer/", StringComparison.Ordinal))
        {
            string[] parts = path["/v3/flatcontainer/".Length..].Split('/');
            lock (_packages)
            {
                if (parts is [var id, "index.json"] && _packages.Keys.Any(k => k.Id == id))
                {
                    Write(context, $"{{\"versions\": [{string.Join(", ", _packages.Keys.Where(k => k.Id == id).Select(k => $"\"{k.Version}\""))}]}}");
                }
                else if (parts is [var packageId, var version, _] && _packages.TryGetValue((packageId, version), out byte[]? bytes))
                {
                    context.Response.ContentType = "application/octet-stream";
                    context.Response.OutputStream.Write(bytes);
                }
                else
                {
                    context.Response.StatusCode = 404;
                }
            }
        }
        else
        {
            context.Response.StatusCode = 404;
        }
    }

    /// <summary>The first part of a multipart/form-data body: NuGet sends the package as the only part.</summary>
    private static byte[] Part(HttpListenerRequest request)
    {
        using var body = new MemoryStream();
        request.InputStream.CopyTo(body);
        byte[] bytes = body.ToArray();
        string type = request.ContentType ?? "";
        int at = type.IndexOf("boundary=", StringComparison.Ordinal);
        if (at < 0) return bytes;
        byte[] boundary = Encoding.ASCII.GetBytes("--" + type[(at + "boundary=".Length)..].Trim('"'));
        int start = IndexOf(bytes, "\r\n\r\n"u8.ToArray(), IndexOf(bytes, boundary, 0)) + 4;
        int end = IndexOf(bytes, [.. "\r\n"u8.ToArray(), .. boundary], start);
        return bytes[start..end];
    }

    private static int IndexOf(byte[] haystack, byte[] needle, int from)
    {
        for (int i = from; i <= haystack.Length - needle.Length; i++)
        {
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle)) return i;
        }

        throw new InvalidDataException("The multipart body is not what NuGet sends.");
    }

    private static void Write(HttpListenerContext context, string json)
    {
        context.Response.ContentType = "application/json";
        context.Response.OutputStream.Write(Encoding.UTF8.GetBytes(json));
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
    }
}
