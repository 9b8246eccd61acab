"""Journey 4, finished work going home: the review gate, overlaps, merging, the merge queue."""
