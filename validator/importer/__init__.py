"""``xxgk import``: a published report (text first) read back into the normalized JSON."""
