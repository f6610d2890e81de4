#include "api/qr_svg.h"

#include <qrencode.h>

#include <memory>

namespace parley::api {

namespace {

struct QrFree {
  void operator()(QRcode* q) const noexcept { QRcode_free(q); }
};

constexpr int kQuiet = 4;

}  // namespace

std::optional<std::string> qrSvg(std::string_view text) {
  const std::string s(text);  // NUL-terminated for libqrencode
  std::unique_ptr<QRcode, QrFree> qr(QRcode_encodeString8bit(s.c_str(), 0, QR_ECLEVEL_M));
  if (!qr) return std::nullopt;
  const int w = qr->width;
  const int size = w + 2 * kQuiet;
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " +
                    std::to_string(size) + " " + std::to_string(size) +
                    "\" shape-rendering=\"crispEdges\"><rect width=\"100%\" height=\"100%\" "
                    "fill=\"#fff\"/><path fill=\"#000\" d=\"";
  for (int y = 0; y < w; ++y) {
    for (int x = 0; x < w; ++x) {
      if (qr->data[y * w + x] & 1) {  // bit 0: a dark module
        svg += "M" + std::to_string(x + kQuiet) + " " + std::to_string(y + kQuiet) + "h1v1h-1z";
      }
    }
  }
  svg += "\"/></svg>";
  return svg;
}

}  // namespace parley::api
