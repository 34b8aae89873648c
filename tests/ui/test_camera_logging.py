"""Loading the camera (ui/camera.py) keeps QtMultimedia's load notes off stderr without
touching the process's logging rules. In a fresh process: the module is loaded once per process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_SCRIPT = textwrap.dedent(
    """
    import sys
    from PySide6.QtCore import QLoggingCategory, qWarning
    from PySide6.QtWidgets import QApplication

    QLoggingCategory.setFilterRules("isoloir.check.debug=false")  # set before, by anyone
    check = QLoggingCategory("isoloir.check")
    app = QApplication(sys.argv)
    from ui.camera import QrCameraReader

    reader = QrCameraReader()  # its video sink loads QtMultimedia's backend
    print("rules kept" if not check.isDebugEnabled() else "rules replaced")
    qWarning("a later warning still shows")
    """
)


def test_loading_the_camera_is_quiet_and_keeps_the_logging_rules() -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"QT_LOGGING_RULES", "PYTHONPATH"}}
    env |= {"QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.strip() == "rules kept"
    assert "qt.multimedia" not in done.stderr
    assert "a later warning still shows" in done.stderr
