"""The web page of ``see2sound serve``: a Gradio page over the pipeline (see docs/web.md).

:mod:`.jobs` does the work (a temporary folder per job, uploads checked by content, runs and
re-renders, the map of the sources, the zip); :mod:`.app` builds the page. Only :mod:`.app` needs
Gradio (``pip install 'see2sound[web]'``).
"""
