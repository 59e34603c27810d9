"""The OpenAI Videos API (``/v1/videos*``).

``routes`` (videos) and ``characters`` hold the routers; ``requests`` and ``forms`` read bodies,
``params`` the tolerant seconds/size parsing, ``objects`` renders, ``content`` serves files,
``owners`` decides ownership and idempotency, ``handlers`` is the contract with model plugins.
"""
