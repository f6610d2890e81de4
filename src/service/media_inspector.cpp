#include "service/media_inspector.h"

#include "media/mime.h"

namespace parley {

FileInspector mediaInspector(const media::ImageLimits& limits) {
  FileInspector inspector;
  inspector.sniff_bytes = media::kMimeSniffBytes;
  inspector.detect_mime = [](std::string_view head) { return media::detectMime(head); };
  inspector.thumbnailable = [](std::string_view mime) { return media::isThumbnailable(mime); };
  inspector.thumbnail = [limits](std::string_view image) -> Result<FileInspector::Thumbnail> {
    auto t = media::makeThumbnail(image, limits);
    if (!t) return t.error();
    return FileInspector::Thumbnail{std::move(t->jpeg), t->source_width, t->source_height};
  };
  inspector.square = [limits](std::string_view image, int edge) -> Result<std::string> {
    media::ImageLimits l = limits;
    l.thumb_edge = edge;
    l.square = true;
    auto t = media::makeThumbnail(image, l);
    if (!t) return t.error();
    return std::move(t->jpeg);
  };
  return inspector;
}

}  // namespace parley
