// The GDB remote-protocol server without gdb: the packet layer (checksums, escaping, malformed
// and split input), every command on the flat test machine's hart, and one TCP session with a
// hand-written client (acks, a bad checksum, a resend, steps, no-ack mode, Ctrl-C, kill).
#include "ip/cpu/gdb_server.h"

#include "tests/unit/cpu/hart_machine.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

using namespace dlvp;
using dlvp::test::HartMachine;
using Event = gdb::PacketDecoder::Event;
using Resume = gdb::GdbServer::Resume;

namespace {

std::vector<Event> decode(const std::string& bytes) {
  gdb::PacketDecoder decoder;
  std::vector<Event> events;
  decoder.feed(bytes.data(), bytes.size(), events);
  return events;
}

// The flat machine's RAM as the debugger's memory.
class FlatMemory : public gdb::DebugMemory {
 public:
  explicit FlatMemory(HartMachine& m) : m_(m) {}
  bool debug_read(uint32_t address, uint8_t* data, uint32_t size) override { return m_.peek(address, data, size); }
  bool debug_write(uint32_t address, const uint8_t* data, uint32_t size) override {
    const uint32_t offset = address - HartMachine::kRamBase;
    if (offset >= m_.ram.size() || m_.ram.size() - offset < size) return false;
    std::memcpy(&m_.ram[offset], data, size);
    return true;
  }

 private:
  HartMachine& m_;
};

struct Fixture {
  HartMachine machine;
  FlatMemory memory{machine};
  gdb::GdbServer server{machine.hart, memory};
  std::optional<Resume> resume;
  std::string ask(const std::string& packet) {
    resume.reset();
    return server.handle(packet, &resume);
  }
};

}  // namespace

TEST(GdbPackets, ChecksumIsTheModulo256SumOfThePayload) {
  EXPECT_EQ(gdb::checksum(""), 0);
  EXPECT_EQ(gdb::checksum("OK"), 0x9a);
  EXPECT_EQ(gdb::frame("OK"), "$OK#9a");
  EXPECT_EQ(gdb::frame(""), "$#00");
  EXPECT_EQ(gdb::frame(std::string(300, '\xff')).size(), 1 + 300 + 3u);  // the sum wraps
}

TEST(GdbPackets, SpecialCharactersAreEscapedAndUnescaped) {
  const std::string payload = "a$b#c}d*e";
  const std::string framed = gdb::frame(payload);
  EXPECT_EQ(framed.substr(0, 15), "$a}\x04" "b}\x03" "c}]d}\x0a" "e#");
  const std::vector<Event> events = decode(framed);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Event::Kind::packet);
  EXPECT_EQ(events[0].payload, payload);
}

TEST(GdbPackets, AcksInterruptsAndGarbageBetweenPackets) {
  const std::vector<Event> events = decode("+-\x03xyz$g#67+");
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[0].kind, Event::Kind::ack);
  EXPECT_EQ(events[1].kind, Event::Kind::nack);
  EXPECT_EQ(events[2].kind, Event::Kind::interrupt);
  EXPECT_EQ(events[3].kind, Event::Kind::packet);
  EXPECT_EQ(events[3].payload, "g");
  EXPECT_EQ(events[4].kind, Event::Kind::ack);
}

TEST(GdbPackets, APacketSplitAcrossReadsIsReassembled) {
  gdb::PacketDecoder decoder;
  std::vector<Event> events;
  const std::string framed = gdb::frame("m80000000,4");
  for (char c : framed) decoder.feed(&c, 1, events);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].payload, "m80000000,4");
}

TEST(GdbPackets, MalformedPacketsAreReportedNotCrashing) {
  for (const std::string& bad : {std::string("$g#00"), std::string("$g#zz"), std::string("$g}#bd"),
                                 std::string("$g$m0,4#fd")}) {
    SCOPED_TRACE(bad);
    const std::vector<Event> events = decode(bad);
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(events[0].kind, Event::Kind::bad_packet);
  }
  // Overlong: reported bad, and the decoder is ready for the next packet.
  gdb::PacketDecoder decoder;
  std::vector<Event> events;
  const std::string huge = "$" + std::string(gdb::PacketDecoder::kMaxPacket + 10, 'a') + "#00" + gdb::frame("?");
  decoder.feed(huge.data(), huge.size(), events);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, Event::Kind::bad_packet);
  EXPECT_EQ(events[1].payload, "?");
}

TEST(GdbPackets, HexHelpers) {
  uint32_t v = 0;
  EXPECT_TRUE(gdb::parse_hex("8000001c", v));
  EXPECT_EQ(v, 0x8000001cu);
  EXPECT_FALSE(gdb::parse_hex("", v));
  EXPECT_FALSE(gdb::parse_hex("123456789", v));
  EXPECT_FALSE(gdb::parse_hex("12g", v));
  EXPECT_EQ(gdb::to_hex_le32(0x12345678), "78563412");
  uint8_t b[2];
  EXPECT_FALSE(gdb::from_hex("1", b, 1));
  EXPECT_FALSE(gdb::from_hex("x1", b, 1));
  EXPECT_TRUE(gdb::from_hex("A1ff", b, 2));
  EXPECT_EQ(b[0], 0xa1);
  EXPECT_EQ(b[1], 0xff);
}

TEST(GdbCommands, RegistersInRiscvOrder) {
  Fixture f;
  f.machine.hart.reset(0x80000010);
  f.machine.hart.set_reg(1, 0x11223344);
  const std::string g = f.ask("g");
  ASSERT_EQ(g.size(), 33 * 8u);
  EXPECT_EQ(g.substr(8, 8), "44332211");
  EXPECT_EQ(g.substr(32 * 8), "10000080");
  EXPECT_EQ(f.ask("p1"), "44332211");
  EXPECT_EQ(f.ask("p20"), "10000080");  // pc is register 32
  EXPECT_EQ(f.ask("P5=efbeadde"), "OK");
  EXPECT_EQ(f.machine.hart.reg(5), 0xdeadbeefu);
  EXPECT_EQ(f.ask("P0=01000000"), "OK");
  EXPECT_EQ(f.machine.hart.reg(0), 0u);  // x0 stays zero
  EXPECT_EQ(f.ask("P20=00010080"), "OK");
  EXPECT_EQ(f.machine.hart.pc(), 0x80000100u);
  std::string all = g;
  all.replace(2 * 8, 8, "78563412");
  EXPECT_EQ(f.ask("G" + all), "OK");
  EXPECT_EQ(f.machine.hart.reg(2), 0x12345678u);
  EXPECT_EQ(f.machine.hart.pc(), 0x80000010u);
  // CSRs by gdb's numbering (65 + CSR number); absent registers and bad arguments are errors.
  EXPECT_EQ(f.ask("p" + [] { char n[8]; std::snprintf(n, sizeof n, "%x", 65 + 0x301); return std::string(n); }()),
            gdb::to_hex_le32(rv32::kMisaValue));
  EXPECT_EQ(f.ask("p21"), "E01");  // f0: no F extension
  EXPECT_EQ(f.ask("pzz"), "E01");
  EXPECT_EQ(f.ask("G1234"), "E01");
  EXPECT_EQ(f.ask("P5"), "E01");
  EXPECT_EQ(f.ask("P5=12"), "E01");
}

TEST(GdbCommands, MemoryReadsAndWritesAndBadAddresses) {
  Fixture f;
  EXPECT_EQ(f.ask("M80000100,4:01020304"), "OK");
  EXPECT_EQ(f.ask("m80000100,4"), "01020304");
  EXPECT_EQ(f.ask("X80000104,3:a}b"), "OK");  // binary (the packet layer has unescaped it)
  EXPECT_EQ(f.ask("m80000104,3"), "617d62");
  EXPECT_EQ(f.ask("X80000104,0:"), "OK");     // gdb's probe for X
  EXPECT_EQ(f.ask("m0,4"), "E01");            // nothing there
  EXPECT_EQ(f.ask("M0,4:01020304"), "E01");
  EXPECT_EQ(f.ask("m800ffffe,4"), "0000");    // runs off the end of RAM: the readable part
  EXPECT_EQ(f.ask("m80100000,4"), "E01");     // starts past it
  EXPECT_EQ(f.ask("m80000000"), "E01");
  EXPECT_EQ(f.ask("M80000100,4:0102"), "E01");
  EXPECT_EQ(f.ask("M80000100,2:zzzz"), "E01");
  EXPECT_EQ(f.ask("X80000100,4:ab"), "E01");
  // A length the packet does not carry is refused before anything is allocated (was: 4 GiB).
  EXPECT_EQ(f.ask("Mffffffff,ffffffff:00"), "E01");
  EXPECT_EQ(f.ask("X80000100,ffffffff:ab"), "E01");
  // A read longer than a packet holds is shortened (gdb asks again for the rest).
  const std::string big = f.ask("m80000000,10000");
  EXPECT_EQ(big.size(), 2 * (gdb::GdbServer::kPacketSize / 2 - 8));
}

TEST(GdbCommands, WritingCodeInvalidatesTheDecodeCache) {
  Fixture f;
  // addi a0, zero, 1 ; then patch to addi a0, zero, 2 through the debugger.
  const uint32_t addi1 = 0x00100513, addi2 = 0x00200513;
  std::memcpy(&f.machine.ram[0], &addi1, 4);
  f.machine.hart.reset(0x80000000);
  f.machine.hart.step();
  EXPECT_EQ(f.machine.hart.reg(10), 1u);
  EXPECT_EQ(f.ask("M80000000,4:" + gdb::to_hex_le32(addi2)), "OK");
  f.machine.hart.set_pc(0x80000000);
  f.machine.hart.step();
  EXPECT_EQ(f.machine.hart.reg(10), 2u);
}

TEST(GdbCommands, BreakpointsResumeAndQueries) {
  Fixture f;
  EXPECT_FALSE(f.server.has_breakpoints());
  EXPECT_EQ(f.ask("Z0,80000010,4"), "OK");
  EXPECT_EQ(f.ask("Z1,80000020,2"), "OK");
  EXPECT_TRUE(f.server.breakpoint_at(0x80000010));
  EXPECT_TRUE(f.server.breakpoint_at(0x80000020));
  EXPECT_EQ(f.ask("z0,80000010,4"), "OK");
  EXPECT_FALSE(f.server.breakpoint_at(0x80000010));
  EXPECT_EQ(f.ask("Z0,zz,4"), "E01");
  EXPECT_EQ(f.ask("Z0"), "E01");

  EXPECT_EQ(f.ask("c"), gdb::GdbServer::no_reply());
  EXPECT_EQ(f.resume, Resume::go);
  EXPECT_EQ(f.ask("s"), gdb::GdbServer::no_reply());
  EXPECT_EQ(f.resume, Resume::step);
  f.ask("c80000040");
  EXPECT_EQ(f.machine.hart.pc(), 0x80000040u);
  f.ask("S05;80000050");
  EXPECT_EQ(f.resume, Resume::step);
  EXPECT_EQ(f.machine.hart.pc(), 0x80000050u);
  EXPECT_EQ(f.ask("czz"), "E01");
  EXPECT_FALSE(f.resume);
  EXPECT_EQ(f.ask("D"), "OK");
  EXPECT_EQ(f.resume, Resume::detach);
  f.ask("k");
  EXPECT_EQ(f.resume, Resume::kill);

  EXPECT_EQ(f.ask("?"), "S05");
  EXPECT_NE(f.ask("qSupported:multiprocess+;swbreak+").find("PacketSize=1000"), std::string::npos);
  EXPECT_EQ(f.ask("qAttached"), "1");
  EXPECT_EQ(f.ask("qC"), "QC1");
  EXPECT_EQ(f.ask("qfThreadInfo"), "m1");
  EXPECT_EQ(f.ask("qsThreadInfo"), "l");
  EXPECT_EQ(f.ask("Hg0"), "OK");
  EXPECT_EQ(f.ask("Hc-1"), "OK");
  EXPECT_EQ(f.ask("vCont?"), "");
  EXPECT_EQ(f.ask("vMustReplyEmpty"), "");
  EXPECT_EQ(f.ask("!"), "");
  EXPECT_EQ(f.ask(""), "");
  const std::string xml = f.ask("qXfer:features:read:target.xml:0,fff");
  EXPECT_EQ(xml[0], 'l');
  EXPECT_NE(xml.find("riscv:rv32"), std::string::npos);
  EXPECT_EQ(f.ask("qXfer:features:read:target.xml:0,10")[0], 'm');  // more to come
  EXPECT_EQ(f.ask("qXfer:features:read:target.xml:ffff,10"), "l");
  EXPECT_EQ(f.ask("qXfer:features:read:target.xml:"), "E01");
  EXPECT_EQ(f.ask("QStartNoAckMode"), "OK");
}

TEST(GdbCommands, WatchpointsGoToTheHartAndStopRepliesNameThem) {
  Fixture f;
  // lui a0,0x80000; addi a0,a0,0x100; li a1,5; lw a2,0(a0); sw a1,0(a0); j .
  const uint32_t program[] = {0x80000537, 0x10050513, 0x00500593, 0x00052603, 0x00b52023, 0x0000006f};
  std::memcpy(f.machine.ram.data(), program, sizeof program);
  f.machine.hart.reset(0x80000000);
  f.machine.hart.set_budget_end(1000);
  EXPECT_EQ(f.ask("Z2,80000100,4"), "OK");
  EXPECT_EQ(f.machine.hart.run(), rv32::Stop::watchpoint);
  EXPECT_EQ(f.machine.hart.pc(), 0x80000014u);  // after the store
  EXPECT_EQ(gdb::GdbServer::stop_reply({gdb::kSigTrap, f.machine.hart.watch_hit()}), "T05watch:80000100;");
  EXPECT_EQ(f.ask("z2,80000100,4"), "OK");
  EXPECT_EQ(f.ask("z2,80000100,4"), "OK");  // gdb may remove twice

  f.machine.hart.reset(0x80000000);
  EXPECT_EQ(f.ask("Z3,80000102,1"), "OK");  // a byte inside the word the load reads
  EXPECT_EQ(f.machine.hart.run(), rv32::Stop::watchpoint);
  EXPECT_EQ(f.machine.hart.pc(), 0x80000010u);  // after the load
  EXPECT_EQ(gdb::GdbServer::stop_reply({gdb::kSigTrap, f.machine.hart.watch_hit()}), "T05rwatch:80000102;");
  EXPECT_EQ(f.ask("z3,80000102,1"), "OK");

  f.machine.hart.reset(0x80000000);
  EXPECT_EQ(f.ask("Z4,800000fe,4"), "OK");  // overlaps the word's first two bytes
  EXPECT_EQ(f.machine.hart.run(), rv32::Stop::watchpoint);
  EXPECT_EQ(gdb::GdbServer::stop_reply({gdb::kSigTrap, f.machine.hart.watch_hit()}), "T05awatch:80000100;");
  EXPECT_EQ(f.machine.hart.run(), rv32::Stop::watchpoint);  // and again at the store
  EXPECT_EQ(f.machine.hart.pc(), 0x80000014u);

  EXPECT_EQ(f.ask("Z2,80000100,0"), "E01");  // nothing to watch
  for (size_t i = 1; i < rv32::Hart::kMaxWatchpoints; ++i) EXPECT_EQ(f.ask("Z2,80000200,4"), "OK");
  EXPECT_EQ(f.ask("Z2,80000300,4"), "E01");  // beyond the hart's limit: gdb says it cannot insert it
  EXPECT_EQ(f.ask("Z5,80000300,4"), "");     // no such type
  EXPECT_EQ(gdb::GdbServer::stop_reply({gdb::kSigInt, {}}), "S02");
}

// A whole session over TCP, with a client that speaks the protocol by hand.
TEST(GdbServerSocket, SessionWithAcksStepsCtrlCAndKill) {
  HartMachine machine;
  const uint32_t program[] = {0x00100513, 0x00150513, 0x00150513};  // li a0,1; addi a0,a0,1 (x2)
  std::memcpy(machine.ram.data(), program, sizeof program);
  machine.hart.reset(0x80000000);
  machine.hart.set_budget_end(~uint64_t{0});
  FlatMemory memory(machine);
  gdb::GdbServer server(machine.hart, memory);
  server.listen(0);
  ASSERT_NE(server.port(), 0);

  std::vector<Resume> resumes;
  std::thread host([&] {  // what cpu_iss does: serve, step, report the stop
    server.accept();
    std::optional<gdb::StopReason> stop;
    for (;;) {
      const Resume r = server.serve(stop);
      resumes.push_back(r);
      if (r == Resume::go) {  // runs until Ctrl-C
        while (!server.interrupt_requested()) machine.hart.step();
        stop = gdb::StopReason{gdb::kSigInt, {}};
        continue;
      }
      if (r != Resume::step) return;
      machine.hart.step();
      stop = gdb::StopReason{};
    }
  });

  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(server.port());
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  auto send = [&](const std::string& bytes) { ASSERT_EQ(::send(fd, bytes.data(), bytes.size(), 0), ssize_t(bytes.size())); };
  std::string received;
  auto expect = [&](const std::string& wanted) {  // reads until `wanted` has arrived
    char buffer[512];
    while (received.find(wanted) == std::string::npos) {
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      ASSERT_GT(n, 0) << "connection closed; received so far: " << received;
      received.append(buffer, static_cast<size_t>(n));
    }
    received.erase(0, received.find(wanted) + wanted.size());
  };

  send("$?#00");  // bad checksum: '-', gdb would resend
  expect("-");
  send(gdb::frame("?"));
  expect("+" + gdb::frame("S05"));
  send("-");  // our reply was garbled: it comes again
  expect(gdb::frame("S05"));
  send("+" + gdb::frame("s"));
  expect("+" + gdb::frame("S05"));
  send("+" + gdb::frame("p20"));
  expect("+" + gdb::frame("04000080"));
  send("+" + gdb::frame("QStartNoAckMode"));
  expect("+" + gdb::frame("OK"));
  send(gdb::frame("s"));  // no acks from now on
  expect(gdb::frame("S05"));
  send(gdb::frame("pa"));
  expect(gdb::frame(gdb::to_hex_le32(2)));
  send(gdb::frame("c"));
  send("\x03");  // Ctrl-C
  expect(gdb::frame("S02"));
  send(gdb::frame("k"));
  host.join();
  ::close(fd);
  EXPECT_EQ(resumes, (std::vector<Resume>{Resume::step, Resume::step, Resume::go, Resume::kill}));
  EXPECT_FALSE(server.connected());
}

TEST(GdbServerSocket, APortInUseIsAConfigError) {
  HartMachine machine;
  FlatMemory memory(machine);
  gdb::GdbServer first(machine.hart, memory), second(machine.hart, memory);
  first.listen(0);
  EXPECT_THROW(second.listen(first.port()), ConfigError);
}
