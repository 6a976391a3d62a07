/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Freestanding helpers for the example guests (32- and 64-bit): port I/O,
 * the 16550A UART at 0x3f8 and the debug-exit port at 0xf4.
 */
#ifndef VMM_GUEST_H
#define VMM_GUEST_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

#define COM1		0x3f8
#define DEBUG_EXIT	0xf4

static inline void outb(u16 port, u8 v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline u8 inb(u16 port)
{
	u8 v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outl(u16 port, u32 v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline void putc(char c)
{
	while (!(inb(COM1 + 5) & 0x20))	/* LSR.THRE */
		;
	outb(COM1, (u8)c);
}

static inline void puts(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			putc('\r');
		putc(*s);
	}
}

static inline void putu(u64 v)
{
	char buf[21];
	int i = 20;

	buf[i] = 0;
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	puts(buf + i);
}

static inline void puthex(u64 v)
{
	static const char digits[] = "0123456789abcdef";
	char buf[19];
	int i = 18;

	buf[i] = 0;
	do {
		buf[--i] = digits[v & 15];
		v >>= 4;
	} while (v);
	buf[--i] = 'x';
	buf[--i] = '0';
	puts(buf + i);
}

/* Stop the VM: the launcher exits with status (code << 1) | 1. */
static inline __attribute__((noreturn)) void debug_exit(u32 code)
{
	outl(DEBUG_EXIT, code);
	for (;;)
		__asm__ volatile("hlt");
}

#endif /* VMM_GUEST_H */
