#include "gdb_rsp.h"

namespace dlvp::gdb {
namespace {

constexpr char kDigits[] = "0123456789abcdef";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool needs_escape(char c) { return c == '$' || c == '#' || c == '}' || c == '*'; }

}  // namespace

uint8_t checksum(std::string_view bytes) {
  uint8_t sum = 0;
  for (char c : bytes) sum = static_cast<uint8_t>(sum + static_cast<uint8_t>(c));
  return sum;
}

std::string frame(std::string_view payload) {
  std::string escaped;
  escaped.reserve(payload.size() + 4);
  for (char c : payload) {
    if (needs_escape(c)) {
      escaped += '}';
      escaped += static_cast<char>(c ^ 0x20);
    } else {
      escaped += c;
    }
  }
  const uint8_t sum = checksum(escaped);
  return "$" + escaped + "#" + kDigits[sum >> 4] + kDigits[sum & 15];
}

std::string to_hex(const uint8_t* data, size_t size) {
  std::string text;
  text.reserve(2 * size);
  for (size_t i = 0; i < size; ++i) {
    text += kDigits[data[i] >> 4];
    text += kDigits[data[i] & 15];
  }
  return text;
}

std::string to_hex_le32(uint32_t value) {
  const uint8_t bytes[4] = {static_cast<uint8_t>(value), static_cast<uint8_t>(value >> 8),
                            static_cast<uint8_t>(value >> 16), static_cast<uint8_t>(value >> 24)};
  return to_hex(bytes, 4);
}

bool from_hex(std::string_view text, uint8_t* data, size_t size) {
  if (text.size() < 2 * size) return false;
  for (size_t i = 0; i < size; ++i) {
    const int high = hex_value(text[2 * i]), low = hex_value(text[2 * i + 1]);
    if (high < 0 || low < 0) return false;
    data[i] = static_cast<uint8_t>(high << 4 | low);
  }
  return true;
}

bool parse_hex(std::string_view text, uint32_t& value) {
  if (text.empty() || text.size() > 8) return false;
  uint32_t v = 0;
  for (char c : text) {
    const int digit = hex_value(c);
    if (digit < 0) return false;
    v = v << 4 | static_cast<uint32_t>(digit);
  }
  value = v;
  return true;
}

void PacketDecoder::feed(const char* data, size_t size, std::vector<Event>& events) {
  for (size_t i = 0; i < size; ++i) {
    const char c = data[i];
    switch (state_) {
      case State::idle:
        if (c == '$') {
          raw_.clear();
          payload_.clear();
          bad_ = false;
          state_ = State::payload;
        } else if (c == '+') {
          events.push_back({Event::Kind::ack, {}});
        } else if (c == '-') {
          events.push_back({Event::Kind::nack, {}});
        } else if (c == '\x03') {
          events.push_back({Event::Kind::interrupt, {}});
        }
        break;
      case State::payload:
      case State::escape:
        if (c == '#') {  // a packet ends at '#' even after a dangling escape (then it is bad)
          bad_ |= state_ == State::escape;
          state_ = State::checksum1;
          break;
        }
        if (c == '$') {  // a new packet starts: the unfinished one is lost (gdb resends it)
          events.push_back({Event::Kind::bad_packet, {}});
          raw_.clear();
          payload_.clear();
          bad_ = false;
          state_ = State::payload;
          break;
        }
        if (raw_.size() >= kMaxPacket) {
          bad_ = true;
        } else {
          raw_ += c;
          if (state_ == State::escape) payload_ += static_cast<char>(c ^ 0x20);
          else if (c != '}') payload_ += c;
        }
        state_ = state_ == State::payload && c == '}' ? State::escape : State::payload;
        break;
      case State::checksum1:
        high_ = c;
        state_ = State::checksum2;
        break;
      case State::checksum2: {
        const int high = hex_value(high_), low = hex_value(c);
        const bool good = !bad_ && high >= 0 && low >= 0 && (high << 4 | low) == checksum(raw_);
        if (good) events.push_back({Event::Kind::packet, std::move(payload_)});
        else events.push_back({Event::Kind::bad_packet, {}});
        payload_.clear();
        raw_.clear();
        state_ = State::idle;
        break;
      }
    }
  }
}

}  // namespace dlvp::gdb
