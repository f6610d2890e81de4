// A QR code as a standalone SVG image (libqrencode makes the modules; this draws them).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace parley::api {

// The QR code of `text` (8-bit mode, error correction M) with a 4-module quiet zone, one
// path of unit squares; nullopt if the text does not fit a QR code.
std::optional<std::string> qrSvg(std::string_view text);

}  // namespace parley::api
