"""What a loader or interpreter process really runs, and Java argument files."""

from __future__ import annotations

import pytest

from rules.programs import (
    argfile_names,
    expand_argfiles,
    is_loader,
    program_of,
    split_argfile,
    strip_suffix,
)


@pytest.mark.parametrize(
    ("exe", "cmdline", "program"),
    [
        ("/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
         ["/lib64/ld-linux-x86-64.so.2", "./game", "600"], ["./game"]),
        ("/lib/ld-musl-x86_64.so.1", ["ld", "--library-path", "/x", "--argv0", "a", "g"], ["g"]),
        ("/usr/bin/python3.11", ["python3", "game.py"], ["game.py"]),
        ("/usr/bin/python3.11", ["python3", "-u", "-X", "dev", "./g.py", "-x"], ["./g.py"]),
        ("/usr/bin/python3.11", ["python3", "-c", "import game"], []),
        ("/usr/bin/python3.11", ["python3", "-m", "mygame.main"], ["mygame.main"]),
        ("/usr/lib/jvm/java-17/bin/java", ["java", "-Xmx2G", "-jar", "mc.jar"], ["mc.jar"]),
        ("/usr/lib/jvm/java-17/bin/java",
         ["java", "-cp", "a.jar:b.jar", "-Dx=y", "net.minecraft.client.main.Main", "--demo"],
         ["net.minecraft.client.main.Main"]),
        ("/usr/bin/node", ["node", "--require", "x", "server.js"], ["server.js"]),
        ("/usr/bin/bash", ["bash", "-e", "./start.sh"], ["./start.sh"]),
        ("/usr/bin/bash", ["bash", "-c", "exec game"], []),
        ("/usr/bin/wine64-preloader", ["wine64", "C:\\Games\\Game.exe"], ["C:\\Games\\Game.exe"]),
        ("/usr/bin/mono-sgen", ["mono", "--debug", "Terraria.exe"], ["Terraria.exe"]),
        ("/usr/bin/perl", ["perl", "-I", "lib", "game.pl"], ["game.pl"]),
        ("/home/an/game", ["/home/an/game", "x.py"], []),
        ("", ["python3", "game.py"], ["game.py"]),  # exe unreadable: argv[0] tells
    ],
)  # fmt: skip
def test_program_of(exe: str, cmdline: list[str], program: list[str]) -> None:
    assert program_of(exe, cmdline) == program


def test_loader_names() -> None:
    assert is_loader("/lib64/ld-linux-x86-64.so.2")
    assert is_loader("/lib/ld-linux-aarch64.so.1")
    assert is_loader("/lib/ld-linux.so.2")
    assert not is_loader("/usr/lib/libld.so")
    assert not is_loader("/usr/bin/ld")


def test_suffixes_are_stripped_like_exe() -> None:
    assert [strip_suffix(n) for n in ("game.py", "start.sh", "mc.jar", "g.exe", "game")] == [
        "game", "start", "mc", "g", "game",
    ]  # fmt: skip
    assert strip_suffix(".py") == ""  # like ".exe" always was


def test_split_argfile() -> None:
    text = (
        "# launcher\n-Xmx2G -cp 'a b.jar':c.jar\n"
        '"-Dname=An Nguyen" -Dtab="x\\ty"\n'
        '"long \\\n    line" net.minecraft.client.main.Main#not-a-comment\n'
    )
    assert split_argfile(text) == [
        "-Xmx2G", "-cp", "a b.jar:c.jar", "-Dname=An Nguyen", "-Dtab=x\ty", "long line",
        "net.minecraft.client.main.Main#not-a-comment",
    ]  # fmt: skip


def test_expand_argfiles() -> None:
    files = {"mc.args": "-cp mc.jar net.minecraft.client.main.Main", "/abs.args": "--demo"}
    read = files.get
    assert argfile_names(["java", "@mc.args", "@@literal"]) == ["mc.args"]
    assert expand_argfiles(["java", "@mc.args", "@/abs.args", "@missing", "@@x"], read) == (
        "java", "-cp", "mc.jar", "net.minecraft.client.main.Main", "--demo", "@missing", "@x",
    )  # fmt: skip
    assert expand_argfiles(["bash", "@mc.args"], read) == ("bash", "@mc.args")
