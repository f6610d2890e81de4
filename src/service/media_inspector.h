// The FileInspector of a node: src/media's libmagic type detection and libvips thumbnails.
#pragma once

#include "media/thumbnail.h"
#include "service/files.h"

namespace parley {

FileInspector mediaInspector(const media::ImageLimits& limits = {});

}  // namespace parley
