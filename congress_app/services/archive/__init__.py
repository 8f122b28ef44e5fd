"""One ZIP per congress, so nothing uploaded or recorded is lost: export it, restore it.

The archive holds three kinds of member:

- ``manifest.json``: every row of the congress (sessions, items and their document links,
  documents with all their versions, delegates with credential versions and check-ins, its
  own accounts, its audit events; the comment windows, the delegates' comments with the
  secretariat's triage of each, the adopted report), as JSON. Each record carries the
  ``id`` it had on the exporting instance; ids only link records inside the archive, an
  import gives new ones (delegates keep theirs when they are free: see below).
- ``files/<sha256>``: the bytes of every stored file version, once each.
- ``checksums.sha256``: ``sha256sum`` lines over every other member, so an unzipped archive
  can be checked with ``sha256sum -c checksums.sha256``.

What goes in is decided column by column in fields.FIELDS: each model names the columns carried as
values, the secrets (hashes) carried only in a full backup, the ids carried as links between
records, and the columns left out with the reason. A column in none of them is a decision not
yet taken, and tests/test_archive_restore.py fails until it is.

The package's modules: ``fields`` (FIELDS, NOT_ARCHIVED), ``file_format`` (the members, their
checks, a record as JSON and back), ``export`` and ``restore``.

The congress's own accounts are those tied to it (users.congress_id). Accounts serving every
congress belong to the instance: the archive names them by username only, where its records
name them (uploads, check-ins, audit events), and an import links those records to the
account of that username that serves every congress there, if there is one.

Secrets (password hashes, card token and PIN hashes) are left out unless an admin asks for a
full backup: an archive copied to a USB stick should not carry what an offline password
search needs.

Delegate card tokens and PINs are HMACs of the secret key, the delegate's id and the
credential version (services/delegates.py). An import keeps numbers and credential versions,
and keeps delegate ids when they are free, so printed cards keep working on an instance with
the same SECRET_KEY. A full backup lets the import check that; without its hashes, the
import makes them from this instance's key and cannot tell whether they match the cards.
"""
