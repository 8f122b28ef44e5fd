"""WeasyPrint renderers: the programme, congress documents, and the shared machinery in render."""
