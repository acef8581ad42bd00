"""The demand model: how many call handlers, what a roster delivers, what a surge does.

Modules (import what you need; the compiled ones load numba):

* :mod:`.erlang`: Erlang B, C and A per interval, both directions (service of a headcount,
  minimum agents for a target);
* :mod:`.estimate`: arrival rates, talk time and censored patience from ``calls`` records;
* :mod:`.staffing`: the week's agents and FTE per channel target, the service of a roster;
* :mod:`.simulate`: the compiled call-centre simulator (own pool, 999-first shared pool,
  live chat), returning ``calls`` records;
* :mod:`.whatif`: the 999 surge (with diversion to digital) and chat concurrency;
* :mod:`.validate`: model checks on real data and back-tests; :mod:`.adapters`: published
  call-centre data as forcestat tables; :mod:`.charts`: charts of the week.
"""
