"""Prints the number of EXIF tags exifread finds in the file given, then the
tag names (one a line). An independent reader for tests/media.rs."""
import sys

import exifread

with open(sys.argv[1], "rb") as f:
    tags = exifread.process_file(f, details=True)
print(len(tags))
for name in sorted(tags):
    print(name)
