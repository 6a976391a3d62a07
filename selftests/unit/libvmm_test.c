// SPDX-License-Identifier: GPL-2.0
/*
 * libvmm_test: what libvmm can show without a hypervisor device.
 *
 *  - vmm_open() error paths;
 *  - exit-reason, internal-error and mode names, exit descriptions;
 *  - vmm_mode_build() on a plain buffer, for every mode: the GDT bytes,
 *    the TSS, the control registers, the segment registers checked
 *    against the VM-entry guest-state rules, the GDT descriptors checked
 *    against the loaded segments, and the page tables checked by walking
 *    them with an independent walker;
 *  - argument checking and small helpers;
 *  - the VM, memory-slot and vCPU code and the selftests/lib VM helpers,
 *    against a mock device: this program defines ioctl(), which the
 *    statically linked libvmm calls instead of the C library's, and
 *    answers for a temporary file standing in for /dev/vmm.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "test_util.h"

#define SCRATCH_GPA	0x9000ULL

/* ------------------------------------------------------------------ */
/* Reading the scratch buffer as guest memory                          */
/* ------------------------------------------------------------------ */

struct gmem {
	const uint8_t *buf;
	uint64_t gpa;		/* guest address of buf[0] */
	uint64_t size;
};

/* Read a little-endian value of n bytes at gpa; false if outside. */
static bool gread(const struct gmem *m, uint64_t gpa, unsigned int n,
		  uint64_t *v)
{
	if (gpa < m->gpa || gpa - m->gpa + n > m->size)
		return false;
	*v = 0;
	for (unsigned int i = 0; i < n; i++)
		*v |= (uint64_t)m->buf[gpa - m->gpa + i] << (8 * i);
	return true;
}

/* ------------------------------------------------------------------ */
/* An independent page walker (SDM Vol. 3A, 4.3 - 4.5)                 */
/* ------------------------------------------------------------------ */

#define P	(1ULL << 0)
#define PS	(1ULL << 7)

/* Translate linear address la; returns false on a fault or bad entry. */
static bool walk(const struct gmem *m, const struct vmm_sregs *s,
		 uint64_t la, uint64_t *pa)
{
	uint64_t e, addr;

	if (!(s->cr0 & VMM_CR0_PG)) {
		*pa = la;
		return true;
	}

	if (!(s->cr4 & VMM_CR4_PAE)) {
		/* 32-bit paging */
		if (!gread(m, (s->cr3 & 0xfffff000) + 4 * (la >> 22), 4, &e) ||
		    !(e & P))
			return false;
		if ((e & PS) && (s->cr4 & VMM_CR4_PSE)) {
			*pa = (e & 0xffc00000) | (la & 0x3fffff);
			return true;
		}
		if (!gread(m, (e & 0xfffff000) + 4 * ((la >> 12) & 0x3ff), 4,
			   &e) || !(e & P))
			return false;
		*pa = (e & 0xfffff000) | (la & 0xfff);
		return true;
	}

	if (s->efer & VMM_EFER_LMA) {
		/* 4-level paging: PML4E and PDPTE */
		if (!gread(m, (s->cr3 & ~0xfffULL) + 8 * ((la >> 39) & 0x1ff),
			   8, &e) || !(e & P) || (e & PS))
			return false;
		addr = e & 0x000ffffffffff000ULL;
		if (!gread(m, addr + 8 * ((la >> 30) & 0x1ff), 8, &e) ||
		    !(e & P) || (e & PS))
			return false;
	} else {
		/* PAE: PDPTE, whose bits 2:1 and 8:5 are reserved */
		if (!gread(m, (s->cr3 & 0xffffffe0) + 8 * ((la >> 30) & 3), 8,
			   &e) || !(e & P) || (e & 0x1e6))
			return false;
	}
	addr = e & 0x000ffffffffff000ULL;
	if (!gread(m, addr + 8 * ((la >> 21) & 0x1ff), 8, &e) || !(e & P))
		return false;
	if (e & PS) {
		*pa = (e & 0x000fffffffe00000ULL) | (la & 0x1fffff);
		return true;
	}
	addr = e & 0x000ffffffffff000ULL;
	if (!gread(m, addr + 8 * ((la >> 12) & 0x1ff), 8, &e) || !(e & P))
		return false;
	*pa = (e & 0x000ffffffffff000ULL) | (la & 0xfff);
	return true;
}

/* Is la mapped through a 4 KiB page (rather than a large one)? */
static bool small_page(const struct gmem *m, const struct vmm_sregs *s,
		       uint64_t la)
{
	uint64_t e;

	if (!(s->cr4 & VMM_CR4_PAE)) {
		gread(m, (s->cr3 & 0xfffff000) + 4 * (la >> 22), 4, &e);
		return !(e & PS);
	}
	if (s->efer & VMM_EFER_LMA) {
		gread(m, (s->cr3 & ~0xfffULL) + 8 * ((la >> 39) & 0x1ff), 8, &e);
		gread(m, (e & ~0xfffULL) + 8 * ((la >> 30) & 0x1ff), 8, &e);
	} else {
		gread(m, (s->cr3 & 0xffffffe0) + 8 * ((la >> 30) & 3), 8, &e);
	}
	gread(m, (e & 0x000ffffffffff000ULL) + 8 * ((la >> 21) & 0x1ff), 8,
	      &e);
	return !(e & PS);
}

/* ------------------------------------------------------------------ */
/* VM-entry guest-state checks on segments and control registers       */
/* (SDM Vol. 3C, 27.3.1, the parts our setup must satisfy)            */
/* ------------------------------------------------------------------ */

static const char *check_limit_g(const struct vmm_segment *seg)
{
	if ((seg->limit & 0xfff) != 0xfff && seg->g)
		return "limit[11:0] != 0xfff but G=1";
	if ((seg->limit >> 20) && !seg->g)
		return "limit[31:20] != 0 but G=0";
	return NULL;
}

static const char *check_state(const struct vmm_sregs *s,
			       const struct vmm_regs *r)
{
	const struct vmm_segment *data[] = { &s->ds, &s->es, &s->fs, &s->gs };
	bool pe = s->cr0 & VMM_CR0_PE, lma = s->efer & VMM_EFER_LMA;
	const char *err;

	if ((s->cr0 & VMM_CR0_PG) && !pe)
		return "CR0.PG without CR0.PE";
	if (lma != !!(s->efer & VMM_EFER_LME) && (s->cr0 & VMM_CR0_PG))
		return "EFER.LMA != EFER.LME with paging";
	if (lma && (!(s->cr0 & VMM_CR0_PG) || !(s->cr4 & VMM_CR4_PAE)))
		return "IA-32e mode without CR0.PG and CR4.PAE";
	if (!(r->rflags & 2) || (r->rflags & ~0x3f7fd7ULL))
		return "RFLAGS reserved bits";

	/* CS */
	if (s->cs.unusable || !s->cs.present || !s->cs.s)
		return "CS not a present code segment";
	if (s->cs.type != 9 && s->cs.type != 11 && s->cs.type != 13 &&
	    s->cs.type != 15)
		return "CS type not accessed code";
	if (s->cs.dpl != s->ss.dpl)
		return "CS.DPL != SS.DPL";
	if (lma && s->cs.l && s->cs.db)
		return "CS.L and CS.D both set";
	if (!lma && s->cs.l)
		return "CS.L outside IA-32e mode";
	if ((err = check_limit_g(&s->cs)))
		return err;

	/* SS */
	if (!s->ss.unusable) {
		if (s->ss.type != 3 && s->ss.type != 7)
			return "SS type not 3 or 7";
		if (!s->ss.present || !s->ss.s)
			return "SS not present data";
		if (!pe && s->ss.dpl)
			return "SS.DPL != 0 in real mode";
		if ((err = check_limit_g(&s->ss)))
			return err;
	}

	/* DS, ES, FS, GS */
	for (size_t i = 0; i < 4; i++) {
		const struct vmm_segment *d = data[i];

		if (d->unusable)
			continue;
		if (!(d->type & 1))
			return "data segment not accessed";
		if ((d->type & 8) && !(d->type & 2))
			return "code segment in a data register not readable";
		if (!d->present || !d->s)
			return "data segment not present or S=0";
		if ((err = check_limit_g(d)))
			return err;
	}

	/* Real mode: base = selector << 4, 64 KiB limits */
	if (!pe) {
		const struct vmm_segment *all[] = {
			&s->cs, &s->ss, &s->ds, &s->es, &s->fs, &s->gs };

		for (size_t i = 0; i < 6; i++) {
			if (all[i]->base != (uint64_t)all[i]->selector << 4)
				return "real-mode base != selector << 4";
			if (all[i]->limit != 0xffff)
				return "real-mode limit != 0xffff";
		}
	}

	/* TR */
	if (s->tr.unusable || !s->tr.present || s->tr.s)
		return "TR not a present system segment";
	if (s->tr.selector & 4)
		return "TR.TI set";
	if (s->tr.type != 11 && (lma || s->tr.type != 3))
		return "TR type not a busy TSS";
	if ((err = check_limit_g(&s->tr)))
		return err;

	/* LDTR */
	if (!s->ldt.unusable)
		return "LDTR usable";
	return NULL;
}

/* Does the GDT descriptor for seg's selector match seg's hidden part? */
static bool desc_matches(const struct gmem *m, const struct vmm_sregs *s,
			 const struct vmm_segment *seg)
{
	uint64_t d, limit, base;

	if (seg->selector + 7 > s->gdt.limit ||
	    !gread(m, s->gdt.base + seg->selector, 8, &d))
		return false;
	limit = (d & 0xffff) | ((d >> 32) & 0xf0000);
	if ((d >> 55) & 1)
		limit = (limit << 12) | 0xfff;
	base = ((d >> 16) & 0xffffff) | ((d >> 32) & 0xff000000);
	return base == (seg->base & 0xffffffff) && limit == seg->limit &&
	       ((d >> 40) & 0xf) == seg->type && ((d >> 44) & 1) == seg->s &&
	       ((d >> 45) & 3) == seg->dpl && ((d >> 47) & 1) == seg->present &&
	       ((d >> 53) & 1) == seg->l && ((d >> 54) & 1) == seg->db &&
	       ((d >> 55) & 1) == seg->g;
}

/* ------------------------------------------------------------------ */
/* Tests                                                               */
/* ------------------------------------------------------------------ */

static void test_open_errors(void)
{
	struct vmm_dev *dev = (struct vmm_dev *)1;
	char path[] = "/tmp/libvmm_test.XXXXXX";
	int fd, ret;

	ret = vmm_open("/nonexistent/vmm", &dev);
	tap_ok(ret == -ENOENT && dev == NULL,
	       "vmm_open(nonexistent) = -ENOENT (got %d)", ret);

	ret = vmm_open("/dev/null", &dev);
	tap_ok(ret == -ENOTTY && dev == NULL,
	       "vmm_open(/dev/null) = -ENOTTY (got %d)", ret);

	fd = mkstemp(path);
	TEST_ASSERT(fd >= 0, "mkstemp");
	ret = vmm_open(path, &dev);
	tap_ok(ret == -ENOTTY && dev == NULL,
	       "vmm_open(regular file) = -ENOTTY (got %d)", ret);
	close(fd);
	unlink(path);

	ret = vmm_open(NULL, NULL);
	tap_ok(ret == -EINVAL, "vmm_open(.., NULL) = -EINVAL (got %d)", ret);

	vmm_close(NULL);
	vmm_vm_destroy(NULL);
	vmm_vcpu_destroy(NULL);
	tap_ok(true, "vmm_close/vmm_vm_destroy/vmm_vcpu_destroy accept NULL");
}

static void test_names(void)
{
	static const struct {
		uint32_t reason;
		const char *name;
	} exits[] = {
		{ VMM_EXIT_UNKNOWN, "UNKNOWN" },
		{ VMM_EXIT_EXCEPTION, "EXCEPTION" },
		{ VMM_EXIT_IO, "IO" },
		{ VMM_EXIT_HYPERCALL, "HYPERCALL" },
		{ VMM_EXIT_DEBUG, "DEBUG" },
		{ VMM_EXIT_HLT, "HLT" },
		{ VMM_EXIT_MMIO, "MMIO" },
		{ VMM_EXIT_IRQ_WINDOW_OPEN, "IRQ_WINDOW_OPEN" },
		{ VMM_EXIT_SHUTDOWN, "SHUTDOWN" },
		{ VMM_EXIT_FAIL_ENTRY, "FAIL_ENTRY" },
		{ VMM_EXIT_INTR, "INTR" },
		{ VMM_EXIT_SET_TPR, "SET_TPR" },
		{ VMM_EXIT_TPR_ACCESS, "TPR_ACCESS" },
		{ VMM_EXIT_NMI, "NMI" },
		{ VMM_EXIT_INTERNAL_ERROR, "INTERNAL_ERROR" },
		{ VMM_EXIT_SYSTEM_EVENT, "SYSTEM_EVENT" },
		{ 37, "NOTIFY" },
		{ 38, "?" },
		{ 0xffffffff, "?" },
	};
	bool ok = true;
	enum vmm_mode mode;

	for (size_t i = 0; i < sizeof(exits) / sizeof(exits[0]); i++) {
		const char *got = vmm_exit_reason_name(exits[i].reason);

		if (strcmp(got, exits[i].name)) {
			tap_diag("exit %u: \"%s\", want \"%s\"",
				 exits[i].reason, got, exits[i].name);
			ok = false;
		}
	}
	tap_ok(ok, "vmm_exit_reason_name");

	tap_ok(!strcmp(vmm_internal_error_name(VMM_INTERNAL_ERROR_EMULATION),
		       "EMULATION") &&
	       !strcmp(vmm_internal_error_name(
			       VMM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON),
		       "UNEXPECTED_EXIT_REASON") &&
	       !strcmp(vmm_internal_error_name(99), "?"),
	       "vmm_internal_error_name");

	ok = true;
	for (int m = 0; m < VMM_MODE_COUNT; m++) {
		if (vmm_mode_parse(vmm_mode_name((enum vmm_mode)m), &mode) ||
		    mode != (enum vmm_mode)m)
			ok = false;
	}
	tap_ok(ok && !strcmp(vmm_mode_name(VMM_MODE_LONG64), "long64") &&
	       !strcmp(vmm_mode_name(VMM_MODE_COUNT), "?") &&
	       vmm_mode_parse("bogus", &mode) == -EINVAL &&
	       vmm_mode_parse(NULL, &mode) == -EINVAL,
	       "vmm_mode_name / vmm_mode_parse round trip");
}

static void test_describe(void)
{
	struct vmm_run *run = calloc(1, sizeof(*run));
	char buf[128];

	TEST_ASSERT(run, "calloc");
	run->exit_reason = VMM_EXIT_IO;
	run->io.direction = VMM_EXIT_IO_OUT;
	run->io.size = 1;
	run->io.port = 0xe9;
	run->io.count = 1;
	run->io.data_offset = 4096;
	vmm_exit_describe(run, buf, sizeof(buf));
	tap_ok(!strcmp(buf, "IO out port 0xe9 size 1 count 1"),
	       "vmm_exit_describe IO: \"%s\"", buf);

	memset(run, 0, sizeof(*run));
	run->exit_reason = VMM_EXIT_MMIO;
	run->mmio.phys_addr = 0xfee00000;
	run->mmio.len = 4;
	run->mmio.is_write = 1;
	run->mmio.data[0] = 0x78;
	run->mmio.data[1] = 0x56;
	run->mmio.data[2] = 0x34;
	run->mmio.data[3] = 0x12;
	vmm_exit_describe(run, buf, sizeof(buf));
	tap_ok(!strcmp(buf, "MMIO write gpa 0xfee00000 len 4 data 0x12345678"),
	       "vmm_exit_describe MMIO: \"%s\"", buf);

	memset(run, 0, sizeof(*run));
	run->exit_reason = VMM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = VMM_INTERNAL_ERROR_DELIVERY_EV;
	run->internal.ndata = 2;
	run->internal.data[0] = 0x80000b0e;
	run->internal.data[1] = 0x30;
	vmm_exit_describe(run, buf, 24);
	tap_ok(strlen(buf) == 23, "vmm_exit_describe truncates: \"%s\"", buf);
	free(run);
}

/* Expected raw GDT descriptors (independent of the library's encoder). */
static const uint64_t want_gdt[VMM_GDT_ENTRIES] = {
	[VMM_SEL_CODE32 / 8]	= 0x00cf9b000000ffffULL,
	[VMM_SEL_DATA / 8]	= 0x00cf93000000ffffULL,
	[VMM_SEL_CODE64 / 8]	= 0x00af9b000000ffffULL,
	/* TSS at SCRATCH_GPA + 0x800 = 0x9800, limit 0x67, busy */
	[VMM_SEL_TSS / 8]	= 0x00008b0098000067ULL,
	[VMM_SEL_TSS / 8 + 1]	= 0,
	[VMM_SEL_CODE16 / 8]	= 0x00009b000000ffffULL,
	[VMM_SEL_DATA16 / 8]	= 0x000093000000ffffULL,
};

struct mode_case {
	enum vmm_mode mode;
	unsigned int flags;
	uint64_t rip, rsp;
	uint64_t cr0, cr4, efer;
	uint16_t cs_sel;
	uint64_t cover;		/* identity-mapped bytes to verify */
};

static void test_mode(const struct mode_case *c)
{
	uint8_t *buf = malloc(VMM_SCRATCH_SIZE);
	struct gmem m = { buf, SCRATCH_GPA, VMM_SCRATCH_SIZE };
	const char *name = vmm_mode_name(c->mode);
	const char *small = c->flags & VMM_SETUP_SMALL_PAGES ? "+4k" : "";
	struct vmm_sregs s;
	struct vmm_regs r;
	const char *err;
	bool ok;
	int ret;

	TEST_ASSERT(buf, "malloc");
	memset(buf, 0xcc, VMM_SCRATCH_SIZE);
	memset(&s, 0x5a, sizeof(s));
	memset(&r, 0, sizeof(r));
	s.apic_base = 0xfee00900;
	r.rax = 0x1234;

	ret = vmm_mode_build(c->mode, c->flags, buf, SCRATCH_GPA, c->rip,
			     c->rsp, &s, &r);
	if (!tap_ok(ret == 0, "%s%s: vmm_mode_build returns 0 (got %d)",
		    name, small, ret)) {
		free(buf);
		return;
	}

	/* GDT and TSS bytes */
	ok = s.gdt.base == SCRATCH_GPA && s.gdt.limit == 8 * VMM_GDT_ENTRIES - 1;
	for (unsigned int i = 0; i < VMM_GDT_ENTRIES; i++) {
		uint64_t d;

		gread(&m, SCRATCH_GPA + 8 * i, 8, &d);
		if (d != want_gdt[i]) {
			tap_diag("GDT[%u] = %#018llx, want %#018llx", i,
				 (unsigned long long)d,
				 (unsigned long long)want_gdt[i]);
			ok = false;
		}
	}
	{
		uint64_t iomap, word;

		gread(&m, SCRATCH_GPA + VMM_SCRATCH_TSS + 0x66, 2, &iomap);
		gread(&m, SCRATCH_GPA + VMM_SCRATCH_TSS + 4, 8, &word);
		ok = ok && iomap == 0x68 && word == 0;
	}
	tap_ok(ok, "%s%s: GDT and TSS contents", name, small);

	/* Registers */
	ok = s.cr0 == c->cr0 && s.cr4 == c->cr4 && s.efer == c->efer &&
	     s.cs.selector == c->cs_sel && s.apic_base == 0xfee00900 &&
	     r.rax == 0x1234 && r.rflags == 2;
	if (c->mode == VMM_MODE_REAL) {
		ok = ok && s.cs.base == (c->rip & 0xf0000) &&
		     r.rip == (c->rip & 0xffff) &&
		     r.rsp == ((c->rsp - s.ss.base) & 0xffff) &&
		     s.idt.base == 0 && s.idt.limit == 0x3ff && s.cr3 == 0;
	} else {
		ok = ok && r.rip == c->rip && r.rsp == c->rsp &&
		     s.idt.limit == 0 && s.tr.selector == VMM_SEL_TSS &&
		     s.tr.base == SCRATCH_GPA + VMM_SCRATCH_TSS &&
		     s.ds.selector == VMM_SEL_DATA &&
		     s.ss.selector == VMM_SEL_DATA;
	}
	if (!ok) {
		FILE *f = stdout;

		vmm_sregs_dump(f, &s);
		vmm_regs_dump(f, &r);
	}
	tap_ok(ok, "%s%s: control registers, selectors, RIP/RSP", name, small);

	err = check_state(&s, &r);
	tap_ok(!err, "%s%s: VM-entry guest-state checks%s%s", name, small,
	       err ? ": " : "", err ? err : "");

	if (c->mode != VMM_MODE_REAL) {
		tap_ok(desc_matches(&m, &s, &s.cs) &&
		       desc_matches(&m, &s, &s.ss) &&
		       desc_matches(&m, &s, &s.ds) &&
		       desc_matches(&m, &s, &s.tr),
		       "%s%s: GDT descriptors match CS, SS, DS, TR", name,
		       small);
	}

	if (c->cover) {
		static const uint64_t probes[] = {
			0, 0x1000, 0xb8000, 0x1fffff, 0x200000, 0x3ff000,
			0x400000, 0x12345678, 0x3fffffff, 0x40000000,
			0x80001234, 0xfee00000, 0xfffff000, 0xffffffff,
		};
		uint64_t pa;

		ok = true;
		for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
			if (probes[i] >= c->cover)
				continue;
			if (!walk(&m, &s, probes[i], &pa) || pa != probes[i]) {
				tap_diag("linear %#llx does not map to itself",
					 (unsigned long long)probes[i]);
				ok = false;
			}
		}
		/* every 2 MiB step, to catch a missing directory */
		for (uint64_t la = 0; la < c->cover; la += 0x200000 - 8) {
			if (!walk(&m, &s, la, &pa) || pa != la) {
				tap_diag("linear %#llx does not map to itself",
					 (unsigned long long)la);
				ok = false;
				break;
			}
		}
		tap_ok(ok, "%s%s: page tables identity-map the first %llu MiB",
		       name, small, (unsigned long long)(c->cover >> 20));

		if (c->flags & VMM_SETUP_SMALL_PAGES) {
			uint64_t edge = (s.cr4 & VMM_CR4_PAE) ? 0x200000
							      : 0x400000;

			tap_ok(small_page(&m, &s, 0) &&
			       small_page(&m, &s, edge - 1) &&
			       !small_page(&m, &s, edge),
			       "%s%s: 4 KiB pages below %#llx, large above",
			       name, small, (unsigned long long)edge);
		} else {
			tap_ok(!small_page(&m, &s, 0),
			       "%s%s: large pages from 0", name, small);
		}
	}
	free(buf);
}

static const uint64_t CR0_PROT = VMM_CR0_PE | VMM_CR0_ET | VMM_CR0_NE;
static const uint64_t CR4_SSE = VMM_CR4_OSFXSR | VMM_CR4_OSXMMEXCPT;

static void test_modes(void)
{
	const struct mode_case cases[] = {
		{ VMM_MODE_REAL, 0, 0x10000, 0x20000,
		  VMM_CR0_ET | VMM_CR0_NE, 0, 0, 0x1000, 0 },
		{ VMM_MODE_REAL, 0, 0x7c00, 0x7000,
		  VMM_CR0_ET | VMM_CR0_NE, 0, 0, 0x0000, 0 },
		{ VMM_MODE_PROT32, 0, 0x10000, 0x100000,
		  CR0_PROT, CR4_SSE, 0, VMM_SEL_CODE32, 0 },
		{ VMM_MODE_PAGED32, 0, 0x10000, 0x100000,
		  CR0_PROT | VMM_CR0_PG, CR4_SSE | VMM_CR4_PSE, 0,
		  VMM_SEL_CODE32, 1ULL << 32 },
		{ VMM_MODE_PAGED32, VMM_SETUP_SMALL_PAGES, 0x10000, 0x100000,
		  CR0_PROT | VMM_CR0_PG, CR4_SSE | VMM_CR4_PSE, 0,
		  VMM_SEL_CODE32, 1ULL << 32 },
		{ VMM_MODE_PAE, 0, 0x10000, 0x100000,
		  CR0_PROT | VMM_CR0_PG, CR4_SSE | VMM_CR4_PAE, 0,
		  VMM_SEL_CODE32, 1ULL << 32 },
		{ VMM_MODE_PAE, VMM_SETUP_SMALL_PAGES, 0x10000, 0x100000,
		  CR0_PROT | VMM_CR0_PG, CR4_SSE | VMM_CR4_PAE, 0,
		  VMM_SEL_CODE32, 1ULL << 32 },
		{ VMM_MODE_LONG64, 0, 0x10000, 0x100000,
		  CR0_PROT | VMM_CR0_PG, CR4_SSE | VMM_CR4_PAE,
		  VMM_EFER_LME | VMM_EFER_LMA, VMM_SEL_CODE64, 1ULL << 32 },
		{ VMM_MODE_LONG64, VMM_SETUP_SMALL_PAGES, 0x10000, 0x100000,
		  CR0_PROT | VMM_CR0_PG, CR4_SSE | VMM_CR4_PAE,
		  VMM_EFER_LME | VMM_EFER_LMA, VMM_SEL_CODE64, 1ULL << 32 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		test_mode(&cases[i]);
}

static void test_mode_errors(void)
{
	uint8_t *buf = malloc(VMM_SCRATCH_SIZE);
	struct vmm_sregs s;
	struct vmm_regs r;
	bool untouched = true;

	TEST_ASSERT(buf, "malloc");
	memset(buf, 0xcc, VMM_SCRATCH_SIZE);
	memset(&s, 0, sizeof(s));
	memset(&r, 0, sizeof(r));

	tap_ok(vmm_mode_build(VMM_MODE_COUNT, 0, buf, 0x9000, 0, 0, &s, &r)
	       == -EINVAL, "bad mode rejected");
	tap_ok(vmm_mode_build(VMM_MODE_LONG64, 0x80, buf, 0x9000, 0, 0, &s, &r)
	       == -EINVAL, "unknown flag rejected");
	tap_ok(vmm_mode_build(VMM_MODE_LONG64, 0, buf, 0x9800, 0, 0, &s, &r)
	       == -EINVAL, "unaligned scratch area rejected");
	tap_ok(vmm_mode_build(VMM_MODE_PAE, 0, buf, 0xffffc000ULL, 0, 0,
			      &s, &r) == -EINVAL,
	       "scratch area crossing 4 GiB rejected");
	tap_ok(vmm_mode_build(VMM_MODE_REAL, 0, buf, 0x9000, 0x100000,
			      0x100000, &s, &r) == -EINVAL,
	       "real mode: RIP at 1 MiB rejected");
	tap_ok(vmm_mode_build(VMM_MODE_REAL, 0, buf, 0x9000, 0x10000, 0x8000,
			      &s, &r) == -EINVAL,
	       "real mode: stack below the code segment rejected");
	tap_ok(vmm_mode_build(VMM_MODE_PROT32, 0, buf, 0x9000,
			      0x100000000ULL, 0x1000, &s, &r) == -EINVAL,
	       "32-bit mode: RIP above 4 GiB rejected");

	for (size_t i = 0; i < VMM_SCRATCH_SIZE; i++)
		if (buf[i] != 0xcc)
			untouched = false;
	tap_ok(untouched, "rejected calls leave the buffer alone");
	free(buf);
}

static void test_helpers(void)
{
	struct vmm_cpuid2 *l;
	struct vmm_cpuid_entry2 *e;
	bool ok;

	tap_ok(vmm_dirty_bitmap_size(4096) == 8 &&
	       vmm_dirty_bitmap_size(64 * 4096) == 8 &&
	       vmm_dirty_bitmap_size(65 * 4096) == 16 &&
	       vmm_dirty_bitmap_size(1ULL << 30) == 32768,
	       "vmm_dirty_bitmap_size");

	l = calloc(1, sizeof(*l) + 3 * sizeof(l->entries[0]));
	TEST_ASSERT(l, "calloc");
	l->nent = 3;
	l->entries[0].function = 1;
	l->entries[0].eax = 0x11;
	l->entries[1].function = 7;
	l->entries[1].index = 0;
	l->entries[1].flags = VMM_CPUID_FLAG_SIGNIFCANT_INDEX;
	l->entries[1].eax = 0x70;
	l->entries[2].function = 7;
	l->entries[2].index = 1;
	l->entries[2].flags = VMM_CPUID_FLAG_SIGNIFCANT_INDEX;
	l->entries[2].eax = 0x71;

	ok = (e = vmm_cpuid_find(l, 1, 5)) && e->eax == 0x11;
	ok = ok && (e = vmm_cpuid_find(l, 7, 1)) && e->eax == 0x71;
	ok = ok && (e = vmm_cpuid_find(l, 7, 0)) && e->eax == 0x70;
	errno = 0;
	ok = ok && !vmm_cpuid_find(l, 7, 2) && errno == ENOENT;
	ok = ok && !vmm_cpuid_find(l, 0x80000000, 0);
	tap_ok(ok, "vmm_cpuid_find honours SIGNIFCANT_INDEX");
	free(l);
}


/* ------------------------------------------------------------------ */
/* A mock device                                                       */
/* ------------------------------------------------------------------ */

#define MOCK_RUN_SIZE	(3 * 4096)
#define MOCK_MAX_SLOTS	8

enum mock_kind { MOCK_NONE, MOCK_DEV, MOCK_VM, MOCK_VCPU };

static struct {
	ino_t dev_ino;			/* the temporary file's inode */
	dev_t dev_dev;
	int vm_fd, vcpu_fd;
	struct vmm_run *run;		/* the mock's own view of the vCPU page */
	struct vmm_userspace_memory_region slots[MOCK_MAX_SLOTS];
	struct vmm_regs regs;
	struct vmm_sregs sregs;
	uint32_t cpuid_nent;
	uint64_t tsc;
	unsigned int nruns;
	unsigned int region_calls;
} mock = { .vm_fd = -1, .vcpu_fd = -1 };

static enum mock_kind mock_kind(int fd)
{
	struct stat st;

	if (fd >= 0 && fd == mock.vm_fd)
		return MOCK_VM;
	if (fd >= 0 && fd == mock.vcpu_fd)
		return MOCK_VCPU;
	if (mock.dev_ino && !fstat(fd, &st) && st.st_ino == mock.dev_ino &&
	    st.st_dev == mock.dev_dev)
		return MOCK_DEV;
	return MOCK_NONE;
}

static int mock_err(int err)
{
	errno = err;
	return -1;
}

static int mock_dev_ioctl(unsigned long req, void *arg)
{
	switch (req) {
	case VMM_GET_API_VERSION:
		return VMM_API_VERSION;
	case VMM_GET_VCPU_MMAP_SIZE:
		return MOCK_RUN_SIZE;
	case VMM_CHECK_EXTENSION:
		return (uintptr_t)arg == VMM_CAP_EXT_CPUID;
	case VMM_CREATE_VM:
		if (mock.vm_fd >= 0)
			return mock_err(EBUSY);
		mock.vm_fd = memfd_create("mock-vm", MFD_CLOEXEC);
		memset(mock.slots, 0, sizeof(mock.slots));
		return mock.vm_fd;
	case VMM_GET_SUPPORTED_CPUID: {
		struct vmm_cpuid2 *c = arg;

		/* Like KVM: too small a buffer is -E2BIG, nent not updated. */
		if (c->nent < 100)
			return mock_err(E2BIG);
		c->nent = 2;
		memset(c->entries, 0, 2 * sizeof(c->entries[0]));
		c->entries[0].function = 0;
		c->entries[0].eax = 0xd;
		c->entries[1].function = 1;
		c->entries[1].ecx = 1U << 31;
		return 0;
	}
	case VMM_GET_MSR_INDEX_LIST: {
		struct vmm_msr_list *l = arg;

		if (l->nmsrs < 300) {
			l->nmsrs = 300;
			return mock_err(E2BIG);
		}
		l->nmsrs = 300;
		for (uint32_t i = 0; i < 300; i++)
			l->indices[i] = 0xc0000000 + i;
		return 0;
	}
	default:
		return mock_err(ENOTTY);
	}
}

static int mock_vm_ioctl(unsigned long req, void *arg)
{
	switch (req) {
	case VMM_SET_USER_MEMORY_REGION: {
		struct vmm_userspace_memory_region *r = arg;

		mock.region_calls++;
		if (r->slot >= MOCK_MAX_SLOTS || (r->flags & ~3U))
			return mock_err(EINVAL);
		if (r->memory_size && !mock.slots[r->slot].memory_size) {
			/* a new slot must not overlap another */
			for (int i = 0; i < MOCK_MAX_SLOTS; i++) {
				struct vmm_userspace_memory_region *o =
					&mock.slots[i];

				if (o->memory_size &&
				    r->guest_phys_addr < o->guest_phys_addr + o->memory_size &&
				    o->guest_phys_addr < r->guest_phys_addr + r->memory_size)
					return mock_err(EEXIST);
			}
		}
		mock.slots[r->slot] = *r;
		return 0;
	}
	case VMM_CREATE_VCPU:
		if (mock.vcpu_fd >= 0 || (uintptr_t)arg != 0)
			return mock_err(EINVAL);
		mock.vcpu_fd = memfd_create("mock-vcpu", MFD_CLOEXEC);
		if (mock.vcpu_fd < 0 || ftruncate(mock.vcpu_fd, MOCK_RUN_SIZE))
			return -1;
		mock.run = mmap(NULL, MOCK_RUN_SIZE, PROT_READ | PROT_WRITE,
				MAP_SHARED, mock.vcpu_fd, 0);
		memset(&mock.regs, 0, sizeof(mock.regs));
		memset(&mock.sregs, 0, sizeof(mock.sregs));
		mock.sregs.apic_base = 0xfee00900;
		mock.nruns = 0;
		return mock.vcpu_fd;
	case VMM_CHECK_EXTENSION:
		return mock_dev_ioctl(req, arg);
	default:
		return mock_err(ENOTTY);
	}
}

/*
 * VMM_RUN: the first run reports an OUT to the ucall port with values in
 * RBX/RCX/RDX, the second a ucall DONE, the third a HLT.
 */
static int mock_run(void)
{
	struct vmm_run *run = mock.run;
	uint32_t *data = (uint32_t *)((uint8_t *)run + 4096);

	mock.nruns++;
	if (mock.nruns > 2) {
		run->exit_reason = VMM_EXIT_HLT;
		return 0;
	}
	run->exit_reason = VMM_EXIT_IO;
	run->io.direction = VMM_EXIT_IO_OUT;
	run->io.size = 4;
	run->io.port = UCALL_PORT;
	run->io.count = 1;
	run->io.data_offset = 4096;
	mock.regs.rax = mock.nruns == 1 ? UCALL_REPORT : UCALL_DONE;
	mock.regs.rbx = 0x1111;
	mock.regs.rcx = 0x2222;
	mock.regs.rdx = 0x3333;
	*data = (uint32_t)mock.regs.rax;
	return 0;
}

static int mock_vcpu_ioctl(unsigned long req, void *arg)
{
	switch (req) {
	case VMM_RUN:
		return mock_run();
	case VMM_GET_REGS:
		memcpy(arg, &mock.regs, sizeof(mock.regs));
		return 0;
	case VMM_SET_REGS:
		memcpy(&mock.regs, arg, sizeof(mock.regs));
		return 0;
	case VMM_GET_SREGS:
		memcpy(arg, &mock.sregs, sizeof(mock.sregs));
		return 0;
	case VMM_SET_SREGS:
		memcpy(&mock.sregs, arg, sizeof(mock.sregs));
		return 0;
	case VMM_SET_CPUID2:
		mock.cpuid_nent = ((struct vmm_cpuid2 *)arg)->nent;
		return 0;
	case VMM_GET_MSRS:
	case VMM_SET_MSRS: {
		struct vmm_msrs *m = arg;
		uint32_t i;

		/* Only the TSC (0x10) exists; stop at the first other MSR. */
		for (i = 0; i < m->nmsrs; i++) {
			if (m->entries[i].index != 0x10)
				break;
			if (req == VMM_GET_MSRS)
				m->entries[i].data = mock.tsc;
			else
				mock.tsc = m->entries[i].data;
		}
		return (int)i;
	}
	case VMM_SET_SIGNAL_MASK: {
		struct vmm_signal_mask *sm = arg;

		return !sm || sm->len == 8 ? 0 : mock_err(EINVAL);
	}
	default:
		return mock_err(ENOTTY);
	}
}

/* Replaces the C library's ioctl() for this statically linked program. */
int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);

	switch (mock_kind(fd)) {
	case MOCK_DEV:
		return mock_dev_ioctl(req, arg);
	case MOCK_VM:
		return mock_vm_ioctl(req, arg);
	case MOCK_VCPU:
		return mock_vcpu_ioctl(req, arg);
	default:
		return (int)syscall(SYS_ioctl, fd, req, arg);
	}
}

/* The VM closed: forget it (the library closes vCPUs first). */
static void mock_reset(void)
{
	if (mock.run)
		munmap(mock.run, MOCK_RUN_SIZE);
	mock.run = NULL;
	mock.vm_fd = -1;
	mock.vcpu_fd = -1;
}

/*
 * Whether the VmFlags line of the mapping at p in /proc/self/smaps has
 * the two-letter flag; -1 if the mapping or the line is not there.
 */
static int vma_has_flag(const void *p, const char *flag)
{
	char line[512], *f;
	unsigned long lo, hi;
	bool in = false;
	int ret = -1;
	FILE *smaps = fopen("/proc/self/smaps", "r");

	if (!smaps)
		return -1;
	while (fgets(line, sizeof(line), smaps)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) {
			in = (uintptr_t)p >= lo && (uintptr_t)p < hi;
			continue;
		}
		if (!in || strncmp(line, "VmFlags:", 8))
			continue;
		ret = 0;
		for (f = strtok(line + 8, " \n"); f; f = strtok(NULL, " \n"))
			if (!strcmp(f, flag))
				ret = 1;
		break;
	}
	fclose(smaps);
	return ret;
}

/*
 * Huge pages by default, VMM_MEM_NO_HUGE to opt out, the two library
 * flags never reaching the module and refused together or where the
 * library does not allocate.  Slots 5 and 6 of the mock VM.
 */
static void test_mock_huge(struct vmm_vm *vm)
{
	/* Without THP in the kernel, MADV_HUGEPAGE fails: no "hg" then. */
	bool thp = !access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK);
	uint8_t *thp_mem, *small;
	int r5, r6;
	bool ok;

	r5 = vmm_mem_add(vm, 5, 0x80000000, 4 << 20, 0, (void **)&thp_mem);
	ok = r5 == 0 && ((uintptr_t)thp_mem & 0x1fffff) == 0 &&
	     mock.slots[5].flags == 0 &&
	     (!thp || vma_has_flag(thp_mem, "hg") == 1);
	r6 = vmm_mem_add(vm, 6, 0x90000000, 4 << 20,
			 VMM_MEM_NO_HUGE | VMM_MEM_READONLY, (void **)&small);
	ok = ok && r6 == 0 && mock.slots[6].flags == VMM_MEM_READONLY &&
	     vma_has_flag(small, "hg") == 0 &&
	     (!thp || vma_has_flag(small, "nh") == 1);
	tap_ok(ok, "mock: THP advised by default (2 MiB aligned), "
	       "VMM_MEM_NO_HUGE advises against it (ret %d, %d)", r5, r6);
	if (!r5)
		thp_mem[(4 << 20) - 1] = 1;
	if (!r6)
		small[0] = small[(4 << 20) - 1];

	tap_ok(vmm_mem_add(vm, 7, 0xa0000000, 4096,
			   VMM_MEM_ALLOC_HUGE | VMM_MEM_NO_HUGE, NULL) == -EINVAL &&
	       vmm_mem_add_at(vm, 7, 0xa0000000, 4096, VMM_MEM_NO_HUGE,
			      small) == -EINVAL &&
	       vmm_mem_add_fd(vm, 7, 0xa0000000, 4096, VMM_MEM_NO_HUGE,
			      mock.vm_fd, 0, NULL) == -EINVAL &&
	       vmm_mem_add_memfd(vm, 7, 0xa0000000, 4096,
				 VMM_MEM_ALLOC_HUGE | VMM_MEM_NO_HUGE,
				 NULL, NULL) == -EINVAL &&
	       vmm_mem_add(vm, 7, 0xa0000000, 4096, 1U << 18, NULL) == -EINVAL &&
	       !mock.slots[7].memory_size,
	       "mock: ALLOC_HUGE with NO_HUGE, NO_HUGE on caller memory or a "
	       "file, unknown library bits: -EINVAL");
	TEST_ASSERT_OK(vmm_mem_remove(vm, 5));
	TEST_ASSERT_OK(vmm_mem_remove(vm, 6));
}

static void test_mock_device(const char *path)
{
	struct vmm_msr_list *msrs;
	struct vmm_cpuid2 *cpuid;
	struct vmm_vcpu *vcpu, *vcpu2;
	struct vmm_dev *dev;
	struct vmm_vm *vm;
	uint8_t *hva, *hva2, *big;
	uint64_t v;
	sigset_t set;
	bool ok;
	int ret;

	ret = vmm_open(path, &dev);
	TEST_ASSERT(ret == 0, "vmm_open(mock) = %d", ret);
	tap_ok(vmm_api_version(dev) == VMM_API_VERSION &&
	       vmm_check_extension(dev, VMM_CAP_EXT_CPUID) == 1 &&
	       vmm_check_extension(dev, VMM_CAP_HLT) == 0 &&
	       vmm_vcpu_mmap_size(dev) == MOCK_RUN_SIZE &&
	       !strcmp(vmm_dev_path(dev), path),
	       "mock: device queries");

	ret = vmm_get_supported_cpuid(dev, &cpuid);
	tap_ok(ret == 0 && cpuid->nent == 2 && vmm_cpuid_find(cpuid, 1, 0) &&
	       vmm_cpuid_find(cpuid, 1, 0)->ecx == 1U << 31,
	       "mock: vmm_get_supported_cpuid grows its buffer (ret %d)", ret);
	ret = vmm_get_msr_index_list(dev, &msrs);
	tap_ok(ret == 0 && msrs->nmsrs == 300 &&
	       msrs->indices[299] == 0xc0000000 + 299,
	       "mock: vmm_get_msr_index_list uses the reported count (ret %d)",
	       ret);
	free(msrs);

	TEST_ASSERT_OK(vmm_vm_create(dev, &vm));
	tap_ok(vmm_vm_fd(vm) == mock.vm_fd && vmm_vm_dev(vm) == dev &&
	       vmm_vm_check_extension(vm, VMM_CAP_EXT_CPUID) == 1,
	       "mock: VM created");

	/* memory slots */
	ret = vmm_mem_add(vm, 0, 0, 1 << 20, 0, (void **)&hva);
	ok = ret == 0 && mock.slots[0].memory_size == 1 << 20 &&
	     mock.slots[0].userspace_addr == (uintptr_t)hva &&
	     vmm_gpa_to_hva(vm, 0x1234, 4) == hva + 0x1234 &&
	     vmm_gpa_to_hva(vm, 0xffffc, 4) == hva + 0xffffc &&
	     !vmm_gpa_to_hva(vm, 0xffffe, 4) && errno == EFAULT &&
	     !vmm_gpa_to_hva(vm, 0x100000, 1);
	tap_ok(ok, "mock: vmm_mem_add and vmm_gpa_to_hva bounds (ret %d)",
	       ret);

	tap_ok(vmm_mem_add(vm, 0, 0x200000, 4096, 0, NULL) == -EEXIST &&
	       vmm_mem_add(vm, 1, 0x1000, 4096, 0, NULL) == -EEXIST &&
	       vmm_mem_add(vm, 1, 0x200001, 4096, 0, NULL) == -EINVAL &&
	       vmm_mem_add(vm, 1, 0x200000, 100, 0, NULL) == -EINVAL &&
	       vmm_mem_add(vm, 1, 0x200000, 4096, 1U << 20, NULL) == -EINVAL &&
	       vmm_mem_add(vm, 1, 0x200000, 0, 0, NULL) == -EINVAL,
	       "mock: vmm_mem_add rejects duplicates, overlaps, bad arguments");

	ret = vmm_mem_add(vm, 2, 0x40000000, 4 << 20,
			  VMM_MEM_ALLOC_HUGE | VMM_MEM_LOG_DIRTY_PAGES,
			  (void **)&big);
	tap_ok(ret == 0 && ((uintptr_t)big & 0x1fffff) == 0 &&
	       mock.slots[2].flags == VMM_MEM_LOG_DIRTY_PAGES,
	       "mock: VMM_MEM_ALLOC_HUGE gives 2 MiB alignment, flag not "
	       "passed on (ret %d)", ret);
	big[(4 << 20) - 1] = 1;

	hva2 = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(hva2 != MAP_FAILED, "mmap");
	ret = vmm_mem_add_at(vm, 3, 0x300000, 8192, VMM_MEM_READONLY, hva2);
	ok = ret == 0 && vmm_gpa_to_hva(vm, 0x301000, 4096) == hva2 + 4096;
	ret = vmm_mem_move(vm, 3, 0x500000);
	ok = ok && ret == 0 && mock.slots[3].guest_phys_addr == 0x500000 &&
	     !vmm_gpa_to_hva(vm, 0x300000, 1) &&
	     vmm_gpa_to_hva(vm, 0x500000, 1) == hva2;
	ok = ok && vmm_mem_set_flags(vm, 3, 0) == 0 && mock.slots[3].flags == 0;
	ok = ok && vmm_mem_remove(vm, 3) == 0 &&
	     mock.slots[3].memory_size == 0 && !vmm_gpa_to_hva(vm, 0x500000, 1);
	hva2[0] = 1;	/* caller-owned memory must still be mapped */
	munmap(hva2, 8192);
	ok = ok && vmm_mem_move(vm, 3, 0) == -ENOENT &&
	     vmm_mem_remove(vm, 3) == -ENOENT &&
	     vmm_mem_add_at(vm, 4, 0x600000, 4096, 0, (void *)0x1001) == -EINVAL;
	tap_ok(ok, "mock: vmm_mem_add_at, move, set_flags, remove");
	test_mock_huge(vm);

	{
		static const char msg[] = "flat bytes";

		tap_ok(vmm_load_flat(vm, 0x8000, msg, sizeof(msg)) == 0 &&
		       !memcmp(hva + 0x8000, msg, sizeof(msg)) &&
		       vmm_load_flat(vm, 0xffff8, msg, sizeof(msg)) == -EFAULT,
		       "mock: vmm_load_flat");
	}

	/* vCPU */
	TEST_ASSERT_OK(vmm_vcpu_create(vm, 0, &vcpu));
	tap_ok(vmm_vcpu_fd(vcpu) == mock.vcpu_fd && vmm_vcpu_id(vcpu) == 0 &&
	       vmm_vcpu_vm(vcpu) == vm && vmm_vcpu_run_data(vcpu) &&
	       vmm_vcpu_create(vm, 0, &vcpu2) == -EINVAL && !vcpu2,
	       "mock: vCPU created, second vCPU 0 refused");

	TEST_ASSERT_OK(vmm_vcpu_set_cpuid(vcpu, cpuid));
	tap_ok(mock.cpuid_nent == 2, "mock: vmm_vcpu_set_cpuid");
	free(cpuid);

	ok = vmm_vcpu_set_msr(vcpu, 0x10, 0xabcdef) == 0 &&
	     vmm_vcpu_get_msr(vcpu, 0x10, &v) == 0 && v == 0xabcdef &&
	     vmm_vcpu_get_msr(vcpu, 0x11, &v) == -EINVAL &&
	     vmm_vcpu_set_msr(vcpu, 0x11, 0) == -EINVAL;
	tap_ok(ok, "mock: single MSR get/set, refused MSR is -EINVAL");

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	tap_ok(vmm_vcpu_set_signal_mask(vcpu, &set) == 0 &&
	       vmm_vcpu_set_signal_mask(vcpu, NULL) == 0 &&
	       vmm_vcpu_get_fpu(vcpu, &(struct vmm_fpu){ 0 }) == -ENOTTY,
	       "mock: signal mask; unsupported ioctl is -ENOTTY");

	ret = vmm_vcpu_setup_mode(vcpu, VMM_MODE_LONG64, 0, 0x10000, 0x20000,
				  0x80000);
	tap_ok(ret == 0 && mock.regs.rip == 0x20000 &&
	       mock.regs.rsp == 0x80000 && mock.sregs.cr3 == 0x11000 &&
	       mock.sregs.efer == (VMM_EFER_LME | VMM_EFER_LMA) &&
	       mock.sregs.apic_base == 0xfee00900 &&
	       mock.sregs.cs.selector == VMM_SEL_CODE64 &&
	       hva[0x10000 + VMM_SEL_CODE64 + 5] == 0x9b,
	       "mock: vmm_vcpu_setup_mode writes guest memory and registers "
	       "(ret %d)", ret);
	tap_ok(vmm_vcpu_setup_mode(vcpu, VMM_MODE_LONG64, 0, 0xf9000, 0, 0)
	       == -EFAULT,
	       "mock: scratch area outside guest memory is -EFAULT");

	{
		struct vmm_run *run = vmm_vcpu_run_data(vcpu);
		uint32_t *data;

		ok = vmm_vcpu_run(vcpu) == 0 && run->exit_reason == VMM_EXIT_IO;
		data = vmm_vcpu_io_data(vcpu);
		ok = ok && data && *data == UCALL_REPORT;
		tap_ok(ok, "mock: vmm_vcpu_run and vmm_vcpu_io_data");
	}

	vmm_vm_destroy(vm);
	mock_reset();
	vmm_close(dev);
}

/* The selftests/lib helpers on the mock device, via $VMM_DEVICE. */
static void test_mock_test_util(const char *path)
{
	static const uint8_t code[] = { 0xf4 };	/* hlt */
	struct vmm_vcpu *vcpu;
	struct vmm_vm *vm;
	struct ucall uc;
	uint64_t cmd;

	setenv("VMM_DEVICE", path, 1);
	vm = vm_create_with_one_vcpu(&vcpu, VMM_MODE_REAL, code, sizeof(code));
	tap_ok(mock.cpuid_nent == 2 && mock.regs.rip == 0 &&
	       mock.sregs.cs.selector == TEST_CODE_GPA >> 4 &&
	       mock.regs.rsp == 0 &&
	       *(uint8_t *)test_gpa(vm, TEST_CODE_GPA, 1) == 0xf4,
	       "mock: vm_create_with_one_vcpu (real mode)");

	cmd = vcpu_run_ucall(vcpu, &uc);
	tap_ok(cmd == UCALL_REPORT && uc.cmd == UCALL_REPORT &&
	       uc.args[0] == 0x1111 && uc.args[1] == 0x2222 &&
	       uc.args[2] == 0x3333, "mock: vcpu_run_ucall REPORT");
	cmd = vcpu_run_ucall(vcpu, &uc);
	tap_ok(cmd == UCALL_DONE, "mock: vcpu_run_ucall DONE");
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, VMM_EXIT_HLT);
	tap_ok(get_ucall(vcpu, &uc) == UCALL_NONE && uc.cmd == UCALL_NONE,
	       "mock: a HLT exit is not a ucall");

	test_vm_free(vm);
	mock_reset();
	unsetenv("VMM_DEVICE");
}

static void test_mock(void)
{
	char path[] = "/tmp/libvmm_mock.XXXXXX";
	struct stat st;
	int fd;

	fd = mkstemp(path);
	TEST_ASSERT(fd >= 0 && !fstat(fd, &st), "mkstemp");
	mock.dev_ino = st.st_ino;
	mock.dev_dev = st.st_dev;
	test_mock_device(path);
	test_mock_test_util(path);
	mock.dev_ino = 0;
	close(fd);
	unlink(path);
}

int main(void)
{
	/* 5 open + 3 names + 3 describe + 2 real * 4 + prot32 * 5
	 * + 6 paged * 7 + 8 errors + 2 helpers + 18 mock device
	 * + 4 mock test_util */
	tap_plan(5 + 3 + 3 + 8 + 5 + 42 + 8 + 2 + 18 + 4);
	test_open_errors();
	test_names();
	test_describe();
	test_modes();
	test_mode_errors();
	test_helpers();
	test_mock();
	tap_exit();
}
