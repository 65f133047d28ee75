from __future__ import annotations

from tray.idle import IdleReporter


def test_reports_every_interval_and_at_once_when_input_resumes() -> None:
    idle = [0.0]
    sent: list[float] = []
    rep = IdleReporter(lambda: idle[0], sent.append, interval=5.0, check=1.0)
    for t in range(0, 12):
        idle[0] = float(t)
        rep.step(float(t))
    assert sent == [0.0, 5.0, 10.0]
    idle[0] = 0.2  # a key press
    assert rep.step(12.0) and sent[-1] == 0.2


def test_no_reading_no_report_and_failed_send_is_retried() -> None:
    sent: list[float] = []
    rep = IdleReporter(lambda: None, sent.append)
    assert not rep.step(0.0) and sent == []
    calls = [0]

    def flaky(v: float) -> None:
        calls[0] += 1
        if calls[0] == 1:
            raise ConnectionError("agent restarting")
        sent.append(v)

    rep = IdleReporter(lambda: 3.0, flaky)
    assert not rep.step(0.0)
    assert rep.step(1.0) and sent == [3.0]


def test_windows_idle_from_get_last_input_info() -> None:
    import ctypes

    from tray.idle import LASTINPUTINFO, WindowsIdle

    class User32:
        ok = 1

        def GetLastInputInfo(self, ref: object) -> int:
            info = ctypes.cast(ref, ctypes.POINTER(LASTINPUTINFO))[0]
            assert info.cbSize == ctypes.sizeof(LASTINPUTINFO)
            info.dwTime = 0xFFFFF000  # input just before the tick count wrapped
            return self.ok

    class Kernel32:
        def GetTickCount(self) -> int:
            return 0x00000800

    user32 = User32()
    idle = WindowsIdle(user32, Kernel32())
    assert idle() == (0x1000 + 0x800) / 1000.0
    user32.ok = 0
    assert idle() is None


class FakeTk:
    """A TkHost (and its root, and its Tcl) whose `tk inactive` answers `millis` or raises."""

    def __init__(self, millis: int | Exception) -> None:
        self.millis = millis
        self.asked: list[tuple[object, ...]] = []
        self.root = self.tk = self

    def call(self, *args: object) -> object:
        first = args[0]
        if callable(first):  # TkHost.call(fn, timeout): run it "on the Tk thread"
            return first()
        self.asked.append(args)  # Tcl: tk inactive
        if isinstance(self.millis, Exception):
            raise self.millis
        return self.millis


def _tk(millis: int | Exception) -> FakeTk:
    return FakeTk(millis)


def test_tk_idle_asks_tk_inactive_and_is_preferred_on_x11() -> None:
    from tray.idle import TkIdle, idle_reader

    host = _tk(1500)
    source = idle_reader({"DISPLAY": ":1"}, tk=host)
    assert isinstance(source, TkIdle) and source.kind == "xscreensaver"
    assert source() == 1.5 and host.asked[-1] == ("tk", "inactive")
    host.millis = RuntimeError("the Tk host is closed")
    assert source() is None  # no answer rather than a wrong one


def test_tk_without_xscreensaver_falls_back_to_an_x_connection() -> None:
    from tray.idle import TkIdle, idle_reader

    try:
        TkIdle(_tk(-1))
    except RuntimeError:
        pass
    else:
        raise AssertionError("Tk answering -1 cannot tell the idle time")
    # No X server at this display: X11Idle cannot connect either, so nothing is reported.
    assert idle_reader({"DISPLAY": ":9999"}, tk=_tk(-1)) is None
