using Kubegate.Configuration.Watching;

namespace Kubegate.Tests.Configuration.Watching;

public class DebouncerTests
{
    private readonly ManualTimeProvider _time = new();
    private int _fired;

    [Fact]
    public void Signal_BurstWithinDelay_FiresOnceAfterTheLastSignal()
    {
        using var debouncer = new Debouncer(() => _fired++, _time);

        for (var i = 0; i < 5; i++)
        {
            debouncer.Signal();
            _time.Advance(TimeSpan.FromMilliseconds(200));
        }

        Assert.Equal(0, _fired);
        _time.Advance(TimeSpan.FromMilliseconds(50));
        Assert.Equal(1, _fired);
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(1, _fired);
    }

    [Fact]
    public void Signal_AfterFiring_FiresAgain()
    {
        using var debouncer = new Debouncer(() => _fired++, _time);

        debouncer.Signal();
        _time.Advance(Debouncer.DefaultDelay);
        debouncer.Signal();
        _time.Advance(Debouncer.DefaultDelay);

        Assert.Equal(2, _fired);
    }

    [Fact]
    public void Dispose_SignalPending_NeverFires()
    {
        var debouncer = new Debouncer(() => _fired++, _time);
        debouncer.Signal();

        debouncer.Dispose();
        debouncer.Signal();
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(0, _fired);
    }

    [Fact]
    public void DefaultDelay_Is250Milliseconds() =>
        Assert.Equal(TimeSpan.FromMilliseconds(250), new Debouncer(() => { }, _time).Delay);
}
