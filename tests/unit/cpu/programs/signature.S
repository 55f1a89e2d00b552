// Writes a compliance signature (begin_signature .. end_signature) and passes through tohost.
  .section .text.init, "ax"
  .globl _start
_start:
  la t0, begin_signature
  li t1, 0xdeadbeef
  sw t1, 0(t0)
  li t1, 0x01234567
  sw t1, 4(t0)
  li t1, 1
  la t2, tohost
  sw t1, 0(t2)
1:
  j 1b

  .section .tohost, "aw", @progbits
  .balign 8
  .globl tohost
tohost: .word 0, 0

  .data
  .balign 16
  .globl begin_signature
begin_signature:
  .word 0, 0, 0xabcdef01, 0
  .globl end_signature
end_signature:
