"""Runs inside Krita (kritarunner) for tests/test_krita.py: calls the plugin's scripting API and
dumps what Krita holds afterwards, so the test can check pixels outside Krita.

    kritarunner -s krita_driver -f run SPEC.json

SPEC: {"photo": PNG, "out": folder, "edits": [{"instruction": ..., "kwargs": {...}, "selection":
GRAY8 file or null, "replan_previous": bool}], "endpoint": ...}. Writes out/report.json and, for
each node the edits created and for the source layer, a raw canvas-sized pixelData dump.
Only the standard library and Krita's own modules are used here, as in the plugin.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback


def _plugin_path():
    """Krita's own pykrita folder: kritarunner's app data folder is .../kritarunner, not .../krita,
    so the installed plugin is not on its path by itself."""
    from krita import Krita

    data_home = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    candidates = [os.path.join(data_home, "krita", "pykrita"),
                  os.path.join(os.path.dirname(Krita.instance().getAppDataLocation()), "krita", "pykrita")]
    for pykrita in candidates:
        if os.path.isdir(os.path.join(pykrita, "lego_edit")):
            if pykrita not in sys.path:
                sys.path.insert(0, pykrita)
            return pykrita
    raise RuntimeError(f"the lego_edit plugin is not installed in {candidates}")


def _tree(node, depth=0):
    rows = []
    for child in reversed(list(node.childNodes())):  # top to bottom
        rows.append({"name": child.name(), "type": child.type(), "visible": child.visible(), "depth": depth})
        if child.type() == "grouplayer":
            rows.extend(_tree(child, depth + 1))
    return rows


def _dump(node, doc, path):
    data = bytes(node.pixelData(0, 0, doc.width(), doc.height()))
    with open(path, "wb") as fh:
        fh.write(data)
    return {"name": node.name(), "type": node.type(), "visible": node.visible(), "file": os.path.basename(path),
            "model": node.colorModel(), "depth": node.colorDepth(), "bytes": len(data)}


def run(args):
    with open(args[0], encoding="utf-8") as fh:
        spec = json.load(fh)
    out = spec["out"]
    os.makedirs(out, exist_ok=True)
    report = {"edits": [], "ok": False}
    try:
        _run(spec, out, report)
        report["ok"] = True
    except Exception:
        report["traceback"] = traceback.format_exc()
    finally:
        with open(os.path.join(out, "report.json"), "w", encoding="utf-8") as fh:
            json.dump(report, fh, indent=1)


def _run(spec, out, report):
    from krita import Krita, Selection

    report["plugin_path"] = _plugin_path()
    import lego_edit
    from lego_edit import api

    report["plugin_file"] = lego_edit.__file__
    app = Krita.instance()
    app.setBatchmode(True)
    doc = app.openDocument(spec["photo"])
    report["doc"] = {"width": doc.width(), "height": doc.height(), "model": doc.colorModel(),
                     "depth": doc.colorDepth(), "active_node": doc.activeNode() is not None}
    if spec.get("convert"):
        model, depth = spec["convert"]
        doc.setColorSpace(model, depth, doc.colorProfile() if model == "RGBA" else "")
        doc.waitForDone()
        report["doc"]["converted"] = [doc.colorModel(), doc.colorDepth()]
    source = doc.rootNode().childNodes()[0]
    user_group = None
    if spec.get("user_group"):  # a group of the user's holding a copy of the photo, on top
        user_group = doc.createGroupLayer("Sketch group")
        doc.rootNode().addChildNode(user_group, None)
        inner = source.duplicate()
        inner.setName("inner")
        user_group.addChildNode(inner, None)
        doc.waitForDone()
    report["source_before"] = _dump(source, doc, os.path.join(out, "source_before.raw"))
    previous = None
    for index, item in enumerate(spec["edits"]):
        entry = {"instruction": item.get("instruction")}
        report["edits"].append(entry)
        if item.get("selection"):
            with open(item["selection"], "rb") as fh:
                mask = fh.read()
            selection = Selection()
            selection.setPixelData(mask, 0, 0, doc.width(), doc.height())
            doc.setSelection(selection)
        kwargs = dict(item.get("kwargs", {}))
        kwargs.setdefault("endpoint", spec.get("endpoint"))
        if item.get("replan_previous") and previous is not None:
            kwargs["replan_of"] = previous
        if kwargs.get("node") == "user_group":
            kwargs["node"] = user_group
        elif kwargs.get("node") == "previous_result":  # a layer inside the previous edit's result group
            kwargs["node"] = next(n for n in previous if n.type() == "paintlayer" and n.visible())
        start = time.monotonic()
        try:
            if item.get("cancel_at_once"):  # the docker's Cancel, as early as it can come
                client = api.client_for(kwargs["endpoint"])
                api.wait_connected(client, 5.0)
                job = api.EditJob(doc, item["instruction"])
                job.start(client)
                client.cancel(job.request_id)
                nodes = api.drive(job, client, 30)
            else:
                nodes = api.edit(doc, item.get("instruction"), **kwargs)
        except api.LegoEditError as exc:
            entry.update(error={"code": exc.code, "message": str(exc)}, seconds=time.monotonic() - start)
            continue
        entry["seconds"] = time.monotonic() - start
        entry["request_id"] = nodes.request_id
        entry["group"] = nodes.group.name()
        entry["group_parent"] = nodes.group.parentNode().name() if nodes.group.parentNode() else None
        entry["plan"] = (nodes.plan or {}).get("workflow")
        entry["nodes"] = [_dump(node, doc, os.path.join(out, f"edit{index}_node{i}.raw"))
                          for i, node in enumerate(nodes) if node.type() != "grouplayer"]
        previous = nodes
    doc.waitForDone()
    report["tree"] = _tree(doc.rootNode())
    report["source_after"] = _dump(source, doc, os.path.join(out, "source_after.raw"))
    if spec.get("save"):
        report["saved"] = bool(doc.saveAs(os.path.join(out, "result.kra")))
    doc.close()
