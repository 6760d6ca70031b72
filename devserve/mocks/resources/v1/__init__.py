"""Resources in json-server 1.0.0-beta.15's dialect (``dialect = "v1"``): its routes, filters
(``field:op=``, ``_where``), sort, pages and writes, over the same store as the 0.17 dialect."""
