// parley::media: what a file is (mime.h) and thumbnails of images (thumbnail.h).
#pragma once

#include "media/mime.h"       // IWYU pragma: export
#include "media/thumbnail.h"  // IWYU pragma: export
