# drover lab counter guest: a 512-byte x86 boot sector (16-bit real mode, GNU as syntax).
#
# What it does, so a test can see that a guest is alive and the same guest across migrations:
#   - prints "counter boot\r\n" once, then "count N\r\n" on COM1 (0x3f8) with N = 1, 2, 3, ...
#     one line every 3 BIOS timer ticks (the BIOS tick runs at 18.2 Hz, so about 6 lines a second);
#   - echoes every byte received on COM1 straight back (console writes can be proven);
#   - before printing each count, writes it to sector 1 of the boot disk (LBA 1, through the BIOS
#     disk services, int 13h): 8 bytes "DRCOUNT:" then the count as a 32-bit little-endian number,
#     so a test can read from the disk image that nothing the guest wrote was lost;
#   - sleeps in `hlt` between interrupts (BIOS timer on IRQ0, UART receive on IRQ4), so a guest costs
#     almost no host CPU even under TCG.
# Build: as --32 -o counter.o counter.S; ld -m elf_i386 --oformat binary -Ttext 0x7c00 -o counter.bin counter.o

        .code16
        .text
        .globl _start
_start:
        cli
        xorw    %ax, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %ss
        movw    $0x7c00, %sp
        ljmp    $0, $main               # make CS:IP 0000:7cxx whatever the BIOS used

main:
        movb    %dl, drive              # the BIOS boots us with the boot drive in DL
        movw    $0x0600, %di            # sector buffer at 0000:0600: zeroes, then the magic
        movw    $256, %cx
        xorw    %ax, %ax
        cld
        rep     stosw
        movl    $0x4f435244, 0x0600     # "DRCO"
        movl    $0x3a544e55, 0x0604     # "UNT:"

        # IRQ4 (COM1) is interrupt vector 0x0c; its IVT entry is at 0x30.
        movw    $uart_irq, 0x30
        movw    %ax, 0x32

        # COM1: 115200 8N1, FIFO on with a 1-byte trigger, DTR|RTS|OUT2 (OUT2 gates the IRQ line).
        movw    $0x3f9, %dx             # IER = 0 while programming
        xorb    %al, %al
        outb    %al, %dx
        movw    $0x3fb, %dx             # LCR: DLAB on
        movb    $0x80, %al
        outb    %al, %dx
        movw    $0x3f8, %dx             # divisor low = 1
        movb    $0x01, %al
        outb    %al, %dx
        movw    $0x3f9, %dx             # divisor high = 0
        xorb    %al, %al
        outb    %al, %dx
        movw    $0x3fb, %dx             # LCR: 8 data bits, no parity, 1 stop, DLAB off
        movb    $0x03, %al
        outb    %al, %dx
        movw    $0x3fa, %dx             # FCR: enable and clear FIFOs, trigger level 1
        movb    $0x07, %al
        outb    %al, %dx
        movw    $0x3fc, %dx             # MCR
        movb    $0x0b, %al
        outb    %al, %dx
        movw    $0x3f9, %dx             # IER: interrupt on received data
        movb    $0x01, %al
        outb    %al, %dx

        inb     $0x21, %al              # unmask IRQ4 on the master PIC
        andb    $0xef, %al
        outb    %al, $0x21

        movw    $banner, %si
        call    puts
        movl    0x46c, %eax             # BIOS tick counter (0040:006c)
        movl    %eax, last
        sti

idle:
        hlt                             # wakes on the timer tick or on received data
echo:
        movw    $0x3fd, %dx             # LSR bit 0: a received byte is waiting
        inb     %dx, %al
        testb   $0x01, %al
        jz      tick
        movw    $0x3f8, %dx
        inb     %dx, %al
        call    putc
        jmp     echo
tick:
        movl    0x46c, %eax
        movl    %eax, %ebx
        subl    last, %eax
        cmpl    $3, %eax
        jb      idle
        movl    %ebx, last
        incl    count
        call    write_count
        call    print_count
        jmp     idle

# write the count to LBA 1 of the boot drive (CHS 0/0/2), one sector from 0000:0600
write_count:
        movl    count, %eax
        movl    %eax, 0x0608
        movw    $0x0301, %ax            # AH=03h write sectors, AL=1 sector
        movw    $0x0002, %cx            # cylinder 0, sector 2
        xorb    %dh, %dh                # head 0
        movb    drive, %dl
        movw    $0x0600, %bx            # ES:BX = 0000:0600
        int     $0x13
        ret

# print "count <decimal>\r\n"
print_count:
        movw    $label, %si
        call    puts
        movl    count, %eax
        movl    $10, %ecx
        xorw    %bx, %bx
1:      xorl    %edx, %edx
        divl    %ecx
        pushw   %dx
        incw    %bx
        testl   %eax, %eax
        jnz     1b
2:      popw    %ax
        addb    $'0', %al
        call    putc
        decw    %bx
        jnz     2b
        movb    $'\r', %al
        call    putc
        movb    $'\n', %al
        call    putc
        ret

# print the zero-terminated string at %si
puts:   lodsb
        testb   %al, %al
        jz      3f
        call    putc
        jmp     puts
3:      ret

# send %al on COM1 once the transmit holding register is empty (LSR bit 5)
putc:   pushw   %dx
        pushw   %ax
        movw    $0x3fd, %dx
4:      inb     %dx, %al
        testb   $0x20, %al
        jz      4b
        popw    %ax
        movw    $0x3f8, %dx
        outb    %al, %dx
        popw    %dx
        ret

# IRQ4: acknowledge at the PIC only; the main loop drains the receive buffer after hlt returns.
uart_irq:
        pushw   %ax
        movb    $0x20, %al
        outb    %al, $0x20
        popw    %ax
        iret

banner: .asciz  "counter boot\r\n"
label:  .asciz  "count "
        .balign 4
count:  .long   0
last:   .long   0
drive:  .byte   0

        .org    510
        .byte   0x55, 0xaa
