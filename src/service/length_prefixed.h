// The bytes a MAC or a hash is taken over: fixed-width numbers and length-prefixed strings,
// so no two different inputs share an encoding (session_mac.cpp, audit_chain.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace parley {

class LengthPrefixed {
 public:
  LengthPrefixed& num(std::int64_t v) {
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    return *this;
  }
  LengthPrefixed& str(std::string_view s) {
    num(static_cast<std::int64_t>(s.size()));
    out_.append(s);
    return *this;
  }
  const std::string& bytes() const { return out_; }

 private:
  std::string out_;
};

}  // namespace parley
