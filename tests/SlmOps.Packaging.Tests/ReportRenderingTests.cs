using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;

namespace SlmOps.Packaging.Tests;

/// <summary>
/// <c>slm-report.html</c> rendered by a real browser: headless Chromium takes a screenshot, and the pixels must show
/// the charts' points and bars in their colours. Category Browser: Chromium is not on a fresh machine, so the default
/// run leaves this out and <c>.ci/run</c> installs Debian's chromium and runs it (tests/browser.runsettings).
/// </summary>
[Trait("Category", "Browser")]
public sealed class ReportRenderingTests : IDisposable
{
    private const int Width = 900, Height = 1400;
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("slmops-render-");

    public void Dispose() => _temp.Delete(recursive: true);

    private static string Chromium() =>
        Environment.GetEnvironmentVariable("SLMOPS_CHROMIUM") is { Length: > 0 } path ? path
        : File.Exists("/usr/bin/chromium") ? "/usr/bin/chromium"
        : throw new InvalidOperationException("Chromium is needed to render the report: install Debian's chromium (apt-get install chromium, as .ci/run does) or set SLMOPS_CHROMIUM to a Chromium binary.");

    [Fact]
    public async Task Chromium_renders_the_report_with_the_variants_the_failures_and_the_auto_candidates_in_colour()
    {
        var passed = VariantManifestTests.Manifest(new VariantQuantization("int4", 36, 1000, 300, null)) with
        {
            Target = DeviceTarget.Parse("linux-x64"),
            Auto = VariantManifestTests.Auto(),
            Validation = VariantManifestTests.Validation(),
        };
        var failed = passed with
        {
            Target = DeviceTarget.Parse("linux-arm64"),
            Auto = null,
            Files = [new VariantFile("model.onnx", new string('d', 64), 35_000_000)],
            Validation = VariantManifestTests.Validation(passed: false),
        };
        var report = new ValidationReport([new ReportEntry(passed, true), new ReportEntry(failed, false)], "1.2.3", "linux-x64");
        string page = Path.Combine(_temp.FullName, "slm-report.html"), shot = Path.Combine(_temp.FullName, "report.png");
        File.WriteAllText(page, report.ToHtml());

        var start = new ProcessStartInfo(Chromium())
        {
            ArgumentList =
            {
                "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                $"--user-data-dir={_temp.CreateSubdirectory("profile").FullName}", $"--window-size={Width},{Height}", $"--screenshot={shot}",
                new Uri(page).AbsoluteUri,
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using (var chromium = Process.Start(start)!)
        {
            var output = chromium.StandardError.ReadToEndAsync();
            var ignored = chromium.StandardOutput.ReadToEndAsync();
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await chromium.WaitForExitAsync(limit.Token);
            await ignored;
            Assert.True(File.Exists(shot), "Chromium wrote no screenshot: " + await output);
        }

        var image = Png.Read(File.ReadAllBytes(shot));
        Assert.Equal((Width, Height), (image.Width, image.Height));
        // In the size/accuracy chart (the first 500 rows): the shipped variant's point (#1565c0), the failed one's
        // (#b00020), the auto candidates' rings (red failed, #0b6b2b passed). Below: the latency bars, variant blue and
        // source grey (#9e9e9e). All on a white page with text.
        const int chart = 500;
        Assert.True(image.Count(0x15, 0x65, 0xc0, rows: chart) > 40, $"{image.Count(0x15, 0x65, 0xc0, rows: chart)} blue pixels in the chart");
        Assert.True(image.Count(0xb0, 0x00, 0x20, rows: chart) > 50, $"{image.Count(0xb0, 0x00, 0x20, rows: chart)} red pixels in the chart");
        Assert.True(image.Count(0x0b, 0x6b, 0x2b, rows: chart) > 5, $"{image.Count(0x0b, 0x6b, 0x2b, rows: chart)} green pixels in the chart");
        Assert.True(image.Count(0x15, 0x65, 0xc0) > 2000, $"{image.Count(0x15, 0x65, 0xc0)} blue pixels");
        Assert.True(image.Count(0x9e, 0x9e, 0x9e) > 2000, $"{image.Count(0x9e, 0x9e, 0x9e)} grey pixels");
        Assert.True(image.Count(0xff, 0xff, 0xff) > Width * Height / 2, "mostly white page");
        Assert.True(image.Count(0x1b, 0x1b, 0x1b, tolerance: 40) > 2000, "text is drawn");
    }

    /// <summary>Just enough PNG to read a browser screenshot: 8-bit RGB or RGBA, not interlaced.</summary>
    private sealed record Png(int Width, int Height, int Channels, byte[] Pixels)
    {
        public static Png Read(byte[] file)
        {
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0d, 0x0a, 0x1a, 0x0a], file[..8]);
            int width = 0, height = 0, channels = 0;
            using var compressed = new MemoryStream();
            for (int at = 8; at < file.Length;)
            {
                int length = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(at));
                string type = System.Text.Encoding.ASCII.GetString(file, at + 4, 4);
                var data = file.AsSpan(at + 8, length);
                if (type == "IHDR")
                {
                    width = BinaryPrimitives.ReadInt32BigEndian(data);
                    height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                    Assert.Equal(8, data[8]);
                    Assert.Equal(0, data[12]);
                    channels = data[9] switch { 2 => 3, 6 => 4, var colour => throw new NotSupportedException($"PNG colour type {colour}") };
                }
                else if (type == "IDAT")
                {
                    compressed.Write(data);
                }

                at += 12 + length;
            }

            compressed.Position = 0;
            using var inflated = new MemoryStream();
            using (var zlib = new ZLibStream(compressed, CompressionMode.Decompress)) zlib.CopyTo(inflated);
            byte[] raw = inflated.ToArray();
            int stride = width * channels;
            var pixels = new byte[height * stride];
            for (int row = 0; row < height; row++)
            {
                byte filter = raw[row * (stride + 1)];
                for (int i = 0; i < stride; i++)
                {
                    int x = raw[row * (stride + 1) + 1 + i];
                    int a = i >= channels ? pixels[row * stride + i - channels] : 0;
                    int b = row > 0 ? pixels[(row - 1) * stride + i] : 0;
                    int c = row > 0 && i >= channels ? pixels[(row - 1) * stride + i - channels] : 0;
                    int predicted = filter switch
                    {
                        0 => 0,
                        1 => a,
                        2 => b,
                        3 => (a + b) / 2,
                        4 => Paeth(a, b, c),
                        _ => throw new NotSupportedException($"PNG filter {filter}"),
                    };
                    pixels[row * stride + i] = (byte)(x + predicted);
                }
            }

            return new Png(width, height, channels, pixels);
        }

        private static int Paeth(int a, int b, int c)
        {
            int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
            return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
        }

        /// <summary>Pixels within <paramref name="tolerance"/> of the colour in every channel, in the first <paramref name="rows"/> rows (all by default).</summary>
        public int Count(byte red, byte green, byte blue, int tolerance = 12, int rows = int.MaxValue)
        {
            int count = 0, end = Math.Min(rows, Height) * Width * Channels;
            for (int at = 0; at < end; at += Channels)
            {
                if (Math.Abs(Pixels[at] - red) <= tolerance && Math.Abs(Pixels[at + 1] - green) <= tolerance && Math.Abs(Pixels[at + 2] - blue) <= tolerance)
                    count++;
            }

            return count;
        }
    }
}
