"""Analysis of the metrics tables: what the notebooks call to compute and draw every figure and table.

:mod:`~sslnb.analysis.tables` loads the tables; :mod:`~sslnb.analysis.correlation` and
:mod:`~sslnb.analysis.selection` judge each metric against the references within a run;
:mod:`~sslnb.analysis.runs` and :mod:`~sslnb.analysis.verdict` judge it across the sweeps' runs (the
leaderboard and its calibrated test), and :mod:`~sslnb.analysis.own_runs` on a user's own run table;
:mod:`~sslnb.analysis.findings`, :mod:`~sslnb.analysis.protocol_agreement` and
:mod:`~sslnb.analysis.architectures` answer the study's questions; :mod:`~sslnb.analysis.plotting` draws.
"""
