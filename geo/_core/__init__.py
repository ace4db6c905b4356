"""Private foundations shared by every layer.

Atomic files and checksums, downloads (the only HTTP code), progress, text keys, table reading
and header detection. Nothing here knows about communes, territories or maps.
"""
