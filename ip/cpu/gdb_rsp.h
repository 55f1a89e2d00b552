// The framing of the GDB remote serial protocol (RSP), free of sockets so that it is tested on
// strings: a packet is `$payload#xx` (xx: the modulo-256 sum of the payload's bytes, two lowercase
// hex digits); the receiver answers `+` (good) or `-` (resend). `$`, `#`, `}` and `*` inside a
// payload are escaped as `}` followed by the byte XOR 0x20. A lone 0x03 byte is gdb's Ctrl-C.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dlvp::gdb {

// Modulo-256 sum of the bytes.
uint8_t checksum(std::string_view bytes);
// `$` + escaped payload + `#` + checksum of the escaped payload.
std::string frame(std::string_view payload);

// Hex encoding of memory and registers (two lowercase digits per byte, in memory order).
std::string to_hex(const uint8_t* data, size_t size);
std::string to_hex_le32(uint32_t value);  // a register: 4 bytes, little-endian
// Decodes exactly size bytes from 2 x size hex digits; false on a bad digit or a short text.
bool from_hex(std::string_view text, uint8_t* data, size_t size);
// A hex number (gdb's addresses, lengths, register numbers); false if empty, not hex or > 32 bits.
bool parse_hex(std::string_view text, uint32_t& value);

// Turns the byte stream from gdb into events. Bytes outside a packet other than `+`, `-` and 0x03
// are ignored; a packet whose checksum is wrong or not hex is reported (the server answers `-`).
class PacketDecoder {
 public:
  struct Event {
    enum class Kind { packet, bad_packet, ack, nack, interrupt } kind;
    std::string payload;  // unescaped (packets only)
  };
  static constexpr size_t kMaxPacket = 0x4000;  // longer packets are bad (we advertise 0x1000)

  void feed(const char* data, size_t size, std::vector<Event>& events);

 private:
  enum class State { idle, payload, escape, checksum1, checksum2 };
  State state_ = State::idle;
  std::string raw_;      // escaped payload bytes, for the checksum
  std::string payload_;  // unescaped
  char high_ = 0;
  bool bad_ = false;  // too long, or an escape right before the `#`
};

}  // namespace dlvp::gdb
