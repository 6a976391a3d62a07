// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvmm: putting a vCPU into real, 32-bit, PAE or 64-bit mode.
 *
 * vmm_mode_build() only writes memory and fills structures, so it can be
 * tested on a plain buffer; vmm_vcpu_setup_mode() applies it to a vCPU.
 *
 * The register values follow the VM-entry guest-state checks of the Intel
 * SDM (Vol. 3C, 27.3.1): code and data segments have their accessed bit
 * set (CS type 0xb, others type 3), usable segments are present with S=1,
 * TR is a busy TSS (type 11) with S=0, LDTR is unusable, limits agree with
 * the G bit, and in real mode every base is selector << 4 with a 64 KiB
 * limit (valid with unrestricted guest).
 */
#include <string.h>

#include "internal.h"

/* Descriptor type values (with S=1 for code/data, S=0 for system). */
#define TYPE_DATA_RW_ACCESSED	0x3
#define TYPE_CODE_RX_ACCESSED	0xb
#define TYPE_TSS_BUSY		0xb

/* Paging-structure entry bits. */
#define PTE_P		(1ULL << 0)
#define PTE_RW		(1ULL << 1)
#define PTE_US		(1ULL << 2)
#define PTE_A		(1ULL << 5)
#define PTE_D		(1ULL << 6)
#define PTE_PS		(1ULL << 7)

/*
 * Entries carry A (and D on leaves) already set, so the guest's page walks
 * need not write them; PAE PDPTEs only have P, the rest is reserved there.
 */
#define PDE_TABLE	(PTE_P | PTE_RW | PTE_US | PTE_A)
#define PDE_LARGE	(PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D | PTE_PS)
#define PTE_PAGE	(PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D)
#define PDPTE_PAE	PTE_P

#define TSS_SIZE	104	/* a 32-bit TSS; the 64-bit one is as long */
#define TSS_IOMAP_OFF	0x66	/* u16: offset of the I/O permission map */

#define SZ_4K		0x1000ULL
#define SZ_2M		0x200000ULL
#define SZ_4M		0x400000ULL
#define SZ_4G		0x100000000ULL

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/* A usable code/data or system segment with its hidden part. */
static struct vmm_segment make_seg(uint16_t sel, uint64_t base,
				   uint32_t limit, uint8_t type, uint8_t s,
				   uint8_t db, uint8_t l, uint8_t g)
{
	struct vmm_segment seg;

	memset(&seg, 0, sizeof(seg));
	seg.selector = sel;
	seg.base = base;
	seg.limit = limit;
	seg.type = type;
	seg.s = s;
	seg.present = 1;
	seg.db = db;
	seg.l = l;
	seg.g = g;
	return seg;
}

static struct vmm_segment unusable_seg(void)
{
	struct vmm_segment seg;

	memset(&seg, 0, sizeof(seg));
	seg.unusable = 1;
	return seg;
}

/* The 8-byte GDT descriptor matching seg (limit in bytes, scaled by g). */
static uint64_t seg_to_desc(const struct vmm_segment *seg)
{
	uint64_t limit = seg->g ? seg->limit >> 12 : seg->limit;
	uint64_t base = seg->base & 0xffffffffULL;
	uint64_t d = 0;

	d |= limit & 0xffff;
	d |= (base & 0xffffff) << 16;
	d |= (uint64_t)(seg->type & 0xf) << 40;
	d |= (uint64_t)(seg->s & 1) << 44;
	d |= (uint64_t)(seg->dpl & 3) << 45;
	d |= (uint64_t)(seg->present & 1) << 47;
	d |= ((limit >> 16) & 0xf) << 48;
	d |= (uint64_t)(seg->avl & 1) << 52;
	d |= (uint64_t)(seg->l & 1) << 53;
	d |= (uint64_t)(seg->db & 1) << 54;
	d |= (uint64_t)(seg->g & 1) << 55;
	d |= (base >> 24) << 56;
	return d;
}

/* The flat and 16-bit segments the GDT holds, by selector. */
static struct vmm_segment gdt_seg(uint16_t sel, uint64_t tss_gpa)
{
	switch (sel) {
	case VMM_SEL_CODE32:
		return make_seg(sel, 0, 0xffffffff, TYPE_CODE_RX_ACCESSED,
				1, 1, 0, 1);
	case VMM_SEL_DATA:
		return make_seg(sel, 0, 0xffffffff, TYPE_DATA_RW_ACCESSED,
				1, 1, 0, 1);
	case VMM_SEL_CODE64:
		return make_seg(sel, 0, 0xffffffff, TYPE_CODE_RX_ACCESSED,
				1, 0, 1, 1);
	case VMM_SEL_TSS:
		return make_seg(sel, tss_gpa, TSS_SIZE - 1, TYPE_TSS_BUSY,
				0, 0, 0, 0);
	case VMM_SEL_CODE16:
		return make_seg(sel, 0, 0xffff, TYPE_CODE_RX_ACCESSED,
				1, 0, 0, 0);
	case VMM_SEL_DATA16:
		return make_seg(sel, 0, 0xffff, TYPE_DATA_RW_ACCESSED,
				1, 0, 0, 0);
	default:
		return unusable_seg();
	}
}

static void write_gdt_tss(uint8_t *scratch, uint64_t scratch_gpa)
{
	static const uint16_t sels[] = {
		VMM_SEL_CODE32, VMM_SEL_DATA, VMM_SEL_CODE64,
		VMM_SEL_CODE16, VMM_SEL_DATA16,
	};
	uint64_t tss_gpa = scratch_gpa + VMM_SCRATCH_TSS;
	uint8_t *gdt = scratch + VMM_SCRATCH_GDT;
	struct vmm_segment tss;

	for (size_t i = 0; i < sizeof(sels) / sizeof(sels[0]); i++) {
		struct vmm_segment seg = gdt_seg(sels[i], tss_gpa);

		put64(gdt + sels[i], seg_to_desc(&seg));
	}

	/* 16-byte TSS descriptor: the upper half holds base bits 63:32. */
	tss = gdt_seg(VMM_SEL_TSS, tss_gpa);
	put64(gdt + VMM_SEL_TSS, seg_to_desc(&tss));
	put64(gdt + VMM_SEL_TSS + 8, tss_gpa >> 32);

	/* An I/O map offset past the limit means "no I/O bitmap". */
	put16(scratch + VMM_SCRATCH_TSS + TSS_IOMAP_OFF, TSS_SIZE);
}

/* 32-bit paging: one page directory of 4 MiB pages (PSE). */
static uint64_t write_paged32(uint8_t *scratch, uint64_t gpa, bool small)
{
	uint8_t *pd = scratch + VMM_SCRATCH_PGTABLE;
	uint64_t pd_gpa = gpa + VMM_SCRATCH_PGTABLE;

	for (uint64_t i = 0; i < 1024; i++)
		put32(pd + 4 * i, (uint32_t)(i * SZ_4M | PDE_LARGE));

	if (small) {
		uint8_t *pt = pd + SZ_4K;

		put32(pd, (uint32_t)((pd_gpa + SZ_4K) | PDE_TABLE));
		for (uint64_t j = 0; j < 1024; j++)
			put32(pt + 4 * j, (uint32_t)(j * SZ_4K | PTE_PAGE));
	}
	return pd_gpa;
}

/*
 * Four page directories of 2 MiB pages covering 4 GiB at pds; with small,
 * the first 2 MiB go through a page table placed right after them.
 */
static void write_pds_2m(uint8_t *pds, uint64_t pds_gpa, bool small)
{
	for (uint64_t i = 0; i < 4 * 512; i++)
		put64(pds + 8 * i, i * SZ_2M | PDE_LARGE);

	if (small) {
		uint8_t *pt = pds + 4 * SZ_4K;

		put64(pds, (pds_gpa + 4 * SZ_4K) | PDE_TABLE);
		for (uint64_t j = 0; j < 512; j++)
			put64(pt + 8 * j, j * SZ_4K | PTE_PAGE);
	}
}

/* PAE: a PDPT (4 entries) at +0x1000, page directories from +0x2000. */
static uint64_t write_pae(uint8_t *scratch, uint64_t gpa, bool small)
{
	uint8_t *pdpt = scratch + VMM_SCRATCH_PGTABLE;
	uint64_t pdpt_gpa = gpa + VMM_SCRATCH_PGTABLE;
	uint64_t pds_gpa = pdpt_gpa + SZ_4K;

	for (uint64_t i = 0; i < 4; i++)
		put64(pdpt + 8 * i, (pds_gpa + i * SZ_4K) | PDPTE_PAE);
	write_pds_2m(pdpt + SZ_4K, pds_gpa, small);
	return pdpt_gpa;
}

/* 4-level: PML4 at +0x1000, PDPT at +0x2000, directories from +0x3000. */
static uint64_t write_long(uint8_t *scratch, uint64_t gpa, bool small)
{
	uint8_t *pml4 = scratch + VMM_SCRATCH_PGTABLE;
	uint64_t pml4_gpa = gpa + VMM_SCRATCH_PGTABLE;
	uint64_t pdpt_gpa = pml4_gpa + SZ_4K;
	uint64_t pds_gpa = pdpt_gpa + SZ_4K;
	uint8_t *pdpt = pml4 + SZ_4K;

	put64(pml4, pdpt_gpa | PDE_TABLE);
	for (uint64_t i = 0; i < 4; i++)
		put64(pdpt + 8 * i, (pds_gpa + i * SZ_4K) | PDE_TABLE);
	write_pds_2m(pdpt + SZ_4K, pds_gpa, small);
	return pml4_gpa;
}

/* Real mode, tiny model: every segment at the 64 KiB block holding rip. */
static int build_real(uint64_t rip, uint64_t rsp, struct vmm_sregs *sregs,
		      struct vmm_regs *regs)
{
	uint16_t sel;
	uint64_t base;

	if (rip >= 0x100000)
		return -EINVAL;
	sel = (uint16_t)((rip >> 4) & 0xf000);
	base = (uint64_t)sel << 4;
	if (rsp < base || rsp - base > 0x10000)
		return -EINVAL;

	sregs->cs = make_seg(sel, base, 0xffff, TYPE_CODE_RX_ACCESSED,
			     1, 0, 0, 0);
	sregs->ds = make_seg(sel, base, 0xffff, TYPE_DATA_RW_ACCESSED,
			     1, 0, 0, 0);
	sregs->es = sregs->ds;
	sregs->fs = sregs->ds;
	sregs->gs = sregs->ds;
	sregs->ss = sregs->ds;
	/* The reset state of TR: base 0, 64 KiB, busy 32-bit TSS. */
	sregs->tr = make_seg(0, 0, 0xffff, TYPE_TSS_BUSY, 0, 0, 0, 0);
	sregs->idt.base = 0;
	sregs->idt.limit = 0x3ff;
	sregs->cr0 = VMM_CR0_ET | VMM_CR0_NE;
	sregs->cr3 = 0;
	sregs->cr4 = 0;
	sregs->efer = 0;

	regs->rip = rip - base;
	regs->rsp = (rsp - base) & 0xffff;	/* SP 0 = top of the block */
	return 0;
}

int vmm_mode_build(enum vmm_mode mode, unsigned int flags, void *scratch,
		   uint64_t scratch_gpa, uint64_t rip, uint64_t rsp,
		   struct vmm_sregs *sregs, struct vmm_regs *regs)
{
	bool small = flags & VMM_SETUP_SMALL_PAGES;
	uint64_t tss_gpa = scratch_gpa + VMM_SCRATCH_TSS;
	uint8_t *p = scratch;
	uint16_t code_sel;
	int ret;

	if ((unsigned int)mode >= VMM_MODE_COUNT ||
	    (flags & ~VMM_SETUP_SMALL_PAGES) || !scratch || !sregs || !regs)
		return -EINVAL;
	if ((scratch_gpa & (SZ_4K - 1)) ||
	    scratch_gpa > SZ_4G - VMM_SCRATCH_SIZE)
		return -EINVAL;
	if (mode != VMM_MODE_REAL && mode != VMM_MODE_LONG64 &&
	    (rip >= SZ_4G || rsp > SZ_4G))
		return -EINVAL;

	if (mode == VMM_MODE_REAL) {
		struct vmm_sregs s = *sregs;
		struct vmm_regs r = *regs;

		/* Check the real-mode addresses before touching memory. */
		ret = build_real(rip, rsp, &s, &r);
		if (ret)
			return ret;
		*sregs = s;
		*regs = r;
	}

	memset(p, 0, VMM_SCRATCH_SIZE);
	write_gdt_tss(p, scratch_gpa);

	sregs->gdt.base = scratch_gpa + VMM_SCRATCH_GDT;
	sregs->gdt.limit = VMM_GDT_ENTRIES * 8 - 1;
	memset(sregs->gdt.padding, 0, sizeof(sregs->gdt.padding));
	sregs->ldt = unusable_seg();
	regs->rflags = 0x2;

	if (mode == VMM_MODE_REAL)
		return 0;

	code_sel = mode == VMM_MODE_LONG64 ? VMM_SEL_CODE64 : VMM_SEL_CODE32;
	sregs->cs = gdt_seg(code_sel, tss_gpa);
	sregs->ds = gdt_seg(VMM_SEL_DATA, tss_gpa);
	sregs->es = sregs->ds;
	sregs->fs = sregs->ds;
	sregs->gs = sregs->ds;
	sregs->ss = sregs->ds;
	sregs->tr = gdt_seg(VMM_SEL_TSS, tss_gpa);
	sregs->idt.base = 0;
	sregs->idt.limit = 0;
	memset(sregs->idt.padding, 0, sizeof(sregs->idt.padding));

	sregs->cr0 = VMM_CR0_PE | VMM_CR0_ET | VMM_CR0_NE;
	sregs->cr3 = 0;
	sregs->cr4 = VMM_CR4_OSFXSR | VMM_CR4_OSXMMEXCPT;
	sregs->efer = 0;

	switch (mode) {
	case VMM_MODE_PAGED32:
		sregs->cr3 = write_paged32(p, scratch_gpa, small);
		sregs->cr4 |= VMM_CR4_PSE;
		sregs->cr0 |= VMM_CR0_PG;
		break;
	case VMM_MODE_PAE:
		sregs->cr3 = write_pae(p, scratch_gpa, small);
		sregs->cr4 |= VMM_CR4_PAE;
		sregs->cr0 |= VMM_CR0_PG;
		break;
	case VMM_MODE_LONG64:
		sregs->cr3 = write_long(p, scratch_gpa, small);
		sregs->cr4 |= VMM_CR4_PAE;
		sregs->cr0 |= VMM_CR0_PG;
		sregs->efer = VMM_EFER_LME | VMM_EFER_LMA;
		break;
	default:
		break;
	}

	regs->rip = rip;
	regs->rsp = rsp;
	return 0;
}

int vmm_vcpu_setup_mode(struct vmm_vcpu *vcpu, enum vmm_mode mode,
			unsigned int flags, uint64_t scratch_gpa,
			uint64_t rip, uint64_t rsp)
{
	struct vmm_sregs sregs;
	struct vmm_regs regs;
	void *scratch;
	int ret;

	scratch = vmm_gpa_to_hva(vcpu->vm, scratch_gpa, VMM_SCRATCH_SIZE);
	if (!scratch)
		return -EFAULT;

	ret = vmm_vcpu_get_sregs(vcpu, &sregs);
	if (ret)
		return ret;
	ret = vmm_vcpu_get_regs(vcpu, &regs);
	if (ret)
		return ret;
	ret = vmm_mode_build(mode, flags, scratch, scratch_gpa, rip, rsp,
			     &sregs, &regs);
	if (ret)
		return ret;
	ret = vmm_vcpu_set_sregs(vcpu, &sregs);
	if (ret)
		return ret;
	return vmm_vcpu_set_regs(vcpu, &regs);
}

static const char *const mode_names[VMM_MODE_COUNT] = {
	[VMM_MODE_REAL]		= "real",
	[VMM_MODE_PROT32]	= "prot32",
	[VMM_MODE_PAGED32]	= "paged32",
	[VMM_MODE_PAE]		= "pae",
	[VMM_MODE_LONG64]	= "long64",
};

const char *vmm_mode_name(enum vmm_mode mode)
{
	if ((unsigned int)mode >= VMM_MODE_COUNT)
		return "?";
	return mode_names[mode];
}

int vmm_mode_parse(const char *name, enum vmm_mode *modep)
{
	for (unsigned int i = 0; name && i < VMM_MODE_COUNT; i++) {
		if (!strcmp(name, mode_names[i])) {
			*modep = (enum vmm_mode)i;
			return 0;
		}
	}
	return -EINVAL;
}
