"""Exchange: the collection handed to other tools (WACZ for Webrecorder's replay tools, BagIt
for institutional repositories), and other tools' files brought in (``importer``: ``archiver
import``). Modules are imported where used, so one command loads only its own."""
