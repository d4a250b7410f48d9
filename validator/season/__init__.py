"""The 收报 season: bodies submit with their 报送码, the office returns or approves, the 汇总 is
made from approved versions; everything on one archive (:mod:`validator.collect.archive`).

:mod:`service` is the service the board's pages, its JSON API and the commands call;
:mod:`codes` the 报送码 and the throttle on wrong ones; :mod:`views` what the board reads;
:mod:`diff` the difference between two versions; :mod:`summary` the 汇总 from the archive;
:mod:`sheets` the printed 报送码 and 催报 lists.
"""
