using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Kubegate.FunctionalTests.Infrastructure;

/// <summary>
/// A headless Debian <c>chromium</c> driven over the Chrome DevTools Protocol with a plain
/// <see cref="ClientWebSocket"/>: one page target, console errors and uncaught exceptions collected, screenshots.
/// Killed by its PID on dispose; its profile lives in a fresh temp directory, deleted afterwards.
/// </summary>
internal sealed class ChromiumBrowser : IAsyncDisposable
{
    public const string ExecutablePath = "/usr/bin/chromium";

    private readonly Process _process;
    private readonly string _profile;
    private readonly ClientWebSocket _socket = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly ConcurrentQueue<string> _errors = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _events = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private Task _reader = Task.CompletedTask;
    private string? _sessionId;
    private int _nextId;

    private ChromiumBrowser(Process process, string profile)
    {
        _process = process;
        _profile = profile;
    }

    /// <summary>Console errors (<c>console.error</c>, error log entries) and uncaught exceptions, in order.</summary>
    public IReadOnlyList<string> Errors => [.. _errors];

    /// <summary>Starts chromium and attaches to a new page; fails (never skips) when chromium is not installed.</summary>
    public static async Task<ChromiumBrowser> StartAsync(int width = 1280, int height = 800)
    {
        Assert.True(
            File.Exists(ExecutablePath),
            $"{ExecutablePath} is missing: the dashboard browser tests need Debian's chromium package. Install it with "
            + "'apt-get update && apt-get install -y chromium' (.ci/run installs it on CI).");

        var profile = Directory.CreateTempSubdirectory("kubegate-chromium-").FullName;
        var info = new ProcessStartInfo(ExecutablePath)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var arg in (string[])[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--hide-scrollbars",
            $"--window-size={width},{height}", $"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank"])
        {
            info.ArgumentList.Add(arg);
        }

        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var stderr = new StringBuilder();
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                listening.TrySetException(new InvalidOperationException("chromium exited before listening:\n" + stderr));
                return;
            }

            lock (stderr)
            {
                stderr.AppendLine(e.Data);
            }

            const string marker = "DevTools listening on ";
            var at = e.Data.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0)
            {
                listening.TrySetResult(e.Data[(at + marker.Length)..].Trim());
            }
        };
        process.OutputDataReceived += (_, _) => { };
        process.Start();
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();

        var browser = new ChromiumBrowser(process, profile);
        try
        {
            var url = await listening.Task.WaitAsync(TimeSpan.FromSeconds(15));
            await browser._socket.ConnectAsync(new Uri(url), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
            browser._reader = Task.Run(browser.ReadLoopAsync);
            var target = await browser.SendAsync("Target.createTarget", w => w.WriteString("url", "about:blank"));
            var targetId = target.GetProperty("targetId").GetString()!;
            var attached = await browser.SendAsync("Target.attachToTarget", w =>
            {
                w.WriteString("targetId", targetId);
                w.WriteBoolean("flatten", true);
            });
            browser._sessionId = attached.GetProperty("sessionId").GetString();
            await browser.SendAsync("Runtime.enable");
            await browser.SendAsync("Log.enable");
            await browser.SendAsync("Page.enable");
            await browser.SendAsync("Emulation.setDeviceMetricsOverride", w =>
            {
                w.WriteNumber("width", width);
                w.WriteNumber("height", height);
                w.WriteNumber("deviceScaleFactor", 1);
                w.WriteBoolean("mobile", false);
            });
            return browser;
        }
        catch
        {
            await browser.DisposeAsync();
            throw;
        }
    }

    /// <summary>Navigates and waits for the page's load event.</summary>
    public async Task NavigateAsync(string url)
    {
        var loaded = _events.GetOrAdd("Page.loadEventFired", _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        var result = await SendAsync("Page.navigate", w => w.WriteString("url", url));
        if (result.TryGetProperty("errorText", out var error) && error.GetString() is { Length: > 0 } text)
        {
            throw new InvalidOperationException($"navigating to {url} failed: {text}");
        }

        await loaded.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>Evaluates <paramref name="expression"/> in the page and returns its JSON value.</summary>
    public async Task<JsonElement> EvaluateAsync(string expression)
    {
        var result = await SendAsync("Runtime.evaluate", w =>
        {
            w.WriteString("expression", expression);
            w.WriteBoolean("returnByValue", true);
            w.WriteBoolean("awaitPromise", true);
        });
        if (result.TryGetProperty("exceptionDetails", out var exception))
        {
            throw new InvalidOperationException($"evaluating '{expression}' threw: {exception}");
        }

        return result.GetProperty("result").TryGetProperty("value", out var value) ? value : default;
    }

    /// <summary>Evaluates <paramref name="expression"/> (a boolean) until true, or throws with the last page text at the deadline.</summary>
    public async Task WaitForAsync(string expression, TimeSpan timeout)
    {
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            var value = await EvaluateAsync(expression);
            if (value.ValueKind == JsonValueKind.True)
            {
                return;
            }

            if (stopwatch.Elapsed > timeout)
            {
                var text = await EvaluateAsync("document.body ? document.body.innerText : ''");
                throw new TimeoutException($"'{expression}' still false after {timeout.TotalSeconds} s. Page:\n{text}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>A PNG of the viewport.</summary>
    public async Task<byte[]> CaptureScreenshotAsync()
    {
        var result = await SendAsync("Page.captureScreenshot", w => w.WriteString("format", "png"));
        return Convert.FromBase64String(result.GetProperty("data").GetString()!);
    }

    public async Task<JsonElement> SendAsync(string method, Action<Utf8JsonWriter>? parameters = null)
    {
        var id = Interlocked.Increment(ref _nextId);
        var completion = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = completion;
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("id", id);
            json.WriteString("method", method);
            if (_sessionId is not null && !method.StartsWith("Target.", StringComparison.Ordinal))
            {
                json.WriteString("sessionId", _sessionId);
            }

            json.WriteStartObject("params");
            parameters?.Invoke(json);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        await _sendLock.WaitAsync();
        try
        {
            await _socket.SendAsync(buffer.WrittenMemory, WebSocketMessageType.Text, true, _stop.Token);
        }
        finally
        {
            _sendLock.Release();
        }

        return await completion.Task.WaitAsync(TimeSpan.FromSeconds(15));
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        var message = new MemoryStream();
        try
        {
            while (!_stop.IsCancellationRequested && _socket.State == WebSocketState.Open)
            {
                var result = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }

                Dispatch(message.ToArray());
                message.SetLength(0);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
        }

        foreach (var pending in _pending.Values)
        {
            pending.TrySetException(new InvalidOperationException("the DevTools connection closed"));
        }
    }

    private void Dispatch(byte[] data)
    {
        using var document = JsonDocument.Parse(data);
        var root = document.RootElement;
        if (root.TryGetProperty("id", out var idElement))
        {
            if (_pending.TryRemove(idElement.GetInt32(), out var completion))
            {
                if (root.TryGetProperty("error", out var error))
                {
                    completion.TrySetException(new InvalidOperationException("CDP error: " + error));
                }
                else
                {
                    completion.TrySetResult(root.GetProperty("result").Clone());
                }
            }

            return;
        }

        var method = root.GetProperty("method").GetString()!;
        var parameters = root.TryGetProperty("params", out var p) ? p : default;
        switch (method)
        {
            case "Runtime.exceptionThrown":
                _errors.Enqueue("exception: " + parameters.GetProperty("exceptionDetails"));
                break;
            case "Runtime.consoleAPICalled" when parameters.GetProperty("type").GetString() is "error" or "assert":
                _errors.Enqueue("console." + parameters.GetProperty("type").GetString() + ": " + parameters.GetProperty("args"));
                break;
            case "Log.entryAdded" when parameters.GetProperty("entry").GetProperty("level").GetString() == "error":
                _errors.Enqueue("log: " + parameters.GetProperty("entry").GetProperty("text").GetString());
                break;
        }

        if (_events.TryRemove(method, out var waiter))
        {
            waiter.TrySetResult();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Abort();
        _socket.Dispose();
        try
        {
            await _reader;
        }
        catch (Exception)
        {
        }

        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
        _stop.Dispose();
        _sendLock.Dispose();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"chromium pid {_process.Id}");
}
