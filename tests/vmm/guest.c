// SPDX-License-Identifier: GPL-2.0
/*
 * The guest of the vmm suite: a multiboot kernel that QEMU's pc machine
 * boots with -kernel, 32-bit, no paging, all output on COM1.
 *
 * At boot it prints "BOOT", writes a word derived from each 4 KiB page's
 * index into that page (every page of RAM above 2 MiB) and prints the sum
 * of those words ("FILLED"). Then it loops for ever: bump a counter kept in
 * RAM, write the counter into one word of page (counter mod pages), and
 * every pages / 4 rounds print "TICK counter SUM sum OK|BAD", where BAD
 * means some page does not hold the last counter written to it. A tick
 * checks the last `pages` writes, which reach back past the previous tick:
 * the first tick after a migration checks writes made before it. So a run
 * that goes on after a migration without "BOOT", with a counter above the
 * last one before it, the same sum and OK, kept its RAM, its CPU state and
 * its last writes.
 */
#include <stdint.h>

#define MB_MAGIC 0x1BADB002u
#define MB_FLAGS 0x00000002u /* give the memory size */
#define RAM_BASE 0x200000u   /* the pattern starts above the image */
#define PAGE 4096u
#define COM1 0x3f8

__attribute__((section(".multiboot"), used, aligned(4)))
static const uint32_t mb_header[3] = { MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS) };

struct mb_info {
	uint32_t flags, mem_lower, mem_upper;
};

__asm__(".section .bss\n"
	".align 16\n"
	"stack: .skip 16384\n"
	"stack_top:\n"
	".section .text\n"
	".global _start\n"
	"_start:\n"
	"	mov $stack_top, %esp\n"
	"	push %ebx\n"
	"	push %eax\n"
	"	call guest_main\n"
	"1:	hlt\n"
	"	jmp 1b\n");

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void putc_serial(char c)
{
	while (!(inb(COM1 + 5) & 0x20))
		;
	outb(COM1, (uint8_t)c);
}

static void puts_serial(const char *s)
{
	while (*s)
		putc_serial(*s++);
}

static void put_u32(uint32_t v, int base)
{
	char buf[12];
	int i = 0;

	do {
		buf[i++] = "0123456789abcdef"[v % (uint32_t)base];
		v /= (uint32_t)base;
	} while (v);
	while (i)
		putc_serial(buf[--i]);
}

static uint32_t word_of(uint32_t page)
{
	uint32_t x = page * 0x9e3779b1u;

	return x ^ (x >> 15) ^ 0x5a5a0000u;
}

static volatile uint32_t *page_at(uint32_t i)
{
	return (volatile uint32_t *)(RAM_BASE + i * PAGE);
}

static uint32_t pattern_sum(uint32_t pages)
{
	uint32_t i, sum = 0;

	for (i = 0; i < pages; i++)
		sum = (sum << 1 | sum >> 31) ^ page_at(i)[0];
	return sum;
}

/* Whether every page holds the last counter value written into it. */
static int last_writes_ok(uint32_t counter, uint32_t pages)
{
	uint32_t n = counter < pages ? counter : pages, c;

	for (c = counter - n + 1; n--; c++)
		if (page_at(c % pages)[1] != c)
			return 0;
	return 1;
}

void guest_main(uint32_t magic, const struct mb_info *mb);
void guest_main(uint32_t magic, const struct mb_info *mb)
{
	uint32_t ram, pages, i, every, counter = 0;

	outb(COM1 + 1, 0x00); /* no interrupts */
	outb(COM1 + 3, 0x03); /* 8N1 */
	if (magic != 0x2BADB002u || !(mb->flags & 1)) {
		puts_serial("NO-MULTIBOOT\n");
		return;
	}
	ram = 0x100000u + mb->mem_upper * 1024u;
	pages = (ram - RAM_BASE) / PAGE;
	every = pages / 4;
	puts_serial("BOOT ram ");
	put_u32(ram >> 20, 10);
	puts_serial(" MiB pages ");
	put_u32(pages, 10);
	putc_serial('\n');
	for (i = 0; i < pages; i++) {
		page_at(i)[0] = word_of(i);
		page_at(i)[1] = 0;
	}
	puts_serial("FILLED SUM ");
	put_u32(pattern_sum(pages), 16);
	putc_serial('\n');
	for (;;) {
		counter++;
		page_at(counter % pages)[1] = counter;
		if (counter % every)
			continue;
		puts_serial("TICK ");
		put_u32(counter, 10);
		puts_serial(" SUM ");
		put_u32(pattern_sum(pages), 16);
		puts_serial(last_writes_ok(counter, pages) ? " OK\n" : " BAD\n");
	}
}
