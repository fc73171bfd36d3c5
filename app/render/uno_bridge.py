"""One LibreOffice worker, run as a script by Debian's /usr/bin/python3 (the Python that can `import uno`;
the app's own interpreter cannot, so this file imports nothing from the app).

It starts soffice with its own profile directory (two processes sharing one make the second exit
silently) listening on a private pipe, connects over UNO and then converts the documents named on
stdin: one JSON line per request ({"in": path, "out": path, "pdfa": bool}), one JSON line per answer.
Going through UNO in a kept-warm process costs ~0.4 s a document instead of ~1.6 s for a cold `--convert-to`.

The app owns the process group: on a timeout it kills bridge and soffice together. If soffice dies on
its own the bridge exits at once, so the app sees the worker gone (its stdout closes) and starts a
fresh one instead of sending the next document to a corpse. When the app goes away (stdin closes) the
bridge takes soffice down with it, so no LibreOffice outlives the service.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time

import uno
from com.sun.star.beans import PropertyValue


def _prop(name, value):
    prop = PropertyValue()
    prop.Name, prop.Value = name, value
    return prop


def _say(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _start_soffice(args):
    profile = uno.systemPathToFileUrl(os.path.abspath(args.profile))
    command = [args.soffice, "--headless", "--invisible", "--nocrashreport", "--nodefault", "--nologo",
               "--nofirststartwizard", "--norestore", "--nolockcheck", f"-env:UserInstallation={profile}",
               f"--accept=pipe,name={args.pipe};urp;StarOffice.ComponentContext"]
    try:
        return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)   # stderr: our log
    except OSError as exc:
        _say({"ready": False, "error": f"无法启动 LibreOffice（{args.soffice}）：{exc.strerror or exc}"})
        sys.exit(2)


def _connect(args, soffice):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + args.startup_timeout
    while True:
        try:
            context = resolver.resolve(f"uno:pipe,name={args.pipe};urp;StarOffice.ComponentContext")
            return context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
        except Exception:  # noqa: BLE001 - NoConnectException, or a bridge disposed while LibreOffice starts
            if soffice.poll() is not None:
                _say({"ready": False, "error": f"LibreOffice 启动后立即退出（退出码 {soffice.returncode}）"})
                sys.exit(2)
            if time.monotonic() > deadline:
                soffice.kill()
                _say({"ready": False, "error": f"LibreOffice 在 {args.startup_timeout} 秒内未就绪"})
                sys.exit(2)
            time.sleep(0.1)


def _convert(desktop, source, target, pdfa):
    """pdfa: PDF/A-2b for archives (SelectPdfVersion 2); LibreOffice then embeds every font and writes the
    XMP identification and an sRGB OutputIntent itself."""
    document = desktop.loadComponentFromURL(uno.systemPathToFileUrl(source), "_blank", 0,
                                            (_prop("Hidden", True), _prop("ReadOnly", True)))
    if document is None:
        raise RuntimeError("LibreOffice 无法打开该文档")
    try:
        options = (_prop("FilterName", "writer_pdf_Export"),)
        if pdfa:
            options += (_prop("FilterData", uno.Any("[]com.sun.star.beans.PropertyValue",
                                                    (_prop("SelectPdfVersion", 2),))),)
        uno.invoke(document, "storeToURL", (uno.systemPathToFileUrl(target), options))
    finally:
        document.close(True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--soffice", required=True)
    parser.add_argument("--profile", required=True)
    parser.add_argument("--pipe", required=True)
    parser.add_argument("--startup-timeout", type=float, default=60)
    args = parser.parse_args()

    if os.getpgid(0) != os.getpid():   # the app starts us as a group leader; by hand we become one
        os.setsid()
    soffice = _start_soffice(args)
    desktop = _connect(args, soffice)          # reports an early exit itself, with its code
    threading.Thread(target=_watch, args=(soffice,), daemon=True).start()
    _say({"ready": True, "soffice_pid": soffice.pid})
    for line in sys.stdin:
        request = json.loads(line)
        try:
            _convert(desktop, request["in"], request["out"], request.get("pdfa", False))
            _say({"ok": True})
        except Exception as exc:  # noqa: BLE001 - any UNO failure is reported, the app decides
            _say({"ok": False, "error": f"{type(exc).__name__}: {exc}"})
    _end_group()


def _watch(soffice):
    code = soffice.wait()
    sys.stderr.write(f"LibreOffice exited with code {code}; ending this worker\n")
    sys.stderr.flush()
    _end_group()


def _end_group():
    """soffice is a launcher whose child soffice.bin does the work: killing the launcher alone would
    leave soffice.bin running, so the whole process group goes, the bridge included."""
    os.killpg(os.getpgid(0), signal.SIGKILL)


if __name__ == "__main__":
    main()
