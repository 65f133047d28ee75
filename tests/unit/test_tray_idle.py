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
