"""Lego Edit for Krita: instruction-based image editing through the Lego Edit daemon.

Registers the "Lego Edit" docker (Settings > Dockers > Lego Edit) and a Tools > Scripts action that
shows it. Scripts use `lego_edit.api.edit(doc, instruction)`.
"""

try:
    from krita import DockWidgetFactory, DockWidgetFactoryBase, Extension, Krita
except ImportError:  # imported outside Krita (packaging, linters): nothing to register
    Krita = None

DOCKER_ID = "lego_edit_docker"

if Krita is not None:
    from .docker import LegoEditDocker

    class LegoEditExtension(Extension):
        def __init__(self, parent):
            super().__init__(parent)

        def setup(self):
            pass

        def createActions(self, window):  # noqa: N802 (Krita's name)
            action = window.createAction("lego_edit_show_docker", "Lego Edit", "tools/scripts")
            action.triggered.connect(self.show_docker)

        def show_docker(self):
            for dock in Krita.instance().dockers():
                if dock.objectName() == DOCKER_ID:
                    dock.show()
                    dock.raise_()

    _app = Krita.instance()
    _app.addExtension(LegoEditExtension(_app))
    _app.addDockWidgetFactory(DockWidgetFactory(DOCKER_ID, DockWidgetFactoryBase.DockPosition.DockRight,
                                                LegoEditDocker))
