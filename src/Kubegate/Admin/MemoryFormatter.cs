using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Kubegate.Admin;

/// <summary>
/// <c>/memory</c>: Envoy's <c>envoy.admin.v3.Memory</c> fields filled from the .NET GC (uint64 values are strings in
/// proto-JSON), plus the process resident set size.
/// </summary>
internal static class MemoryFormatter
{
    public static string FormatJson()
    {
        var info = GC.GetGCMemoryInfo();
        var allocated = GC.GetTotalMemory(forceFullCollection: false);
        var heapSize = Math.Max(info.HeapSizeBytes, allocated);
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("allocated", Number(allocated));
            json.WriteString("heap_size", Number(heapSize));
            json.WriteString("pageheap_unmapped", "0");
            json.WriteString("pageheap_free", Number(Math.Max(0, heapSize - allocated)));
            json.WriteString("total_thread_cache", "0");
            json.WriteString("total_physical_bytes", Number(Environment.WorkingSet));
            json.WriteString("committed_bytes", Number(info.TotalCommittedBytes));
            json.WriteString("process_rss", Number(Environment.WorkingSet));
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
}
