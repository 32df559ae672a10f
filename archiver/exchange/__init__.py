"""Exchange: other tools' files into the collection (``importer``: ``archiver import``) and the
collection's out. Modules are imported where used, so one command loads only its own."""
