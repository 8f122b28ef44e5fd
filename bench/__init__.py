"""`make bench`: how fast congress_app is, measured apart from the tests.

Each module measures one group of figures (renders, QR codes, search, page images, load
under gunicorn) into a shared Report; bench/run.py builds a throw-away instance, runs the
groups, prints the table and writes bench/results/<time>.json so runs can be compared.
"""
