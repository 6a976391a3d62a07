// SPDX-License-Identifier: GPL-2.0
/*
 * A transparent huge page whose PMD the host splits under a running
 * guest.
 *
 * The guest reads two pages of a THP-backed slot (the module maps the
 * huge page with a 2 MiB EPT leaf).  The host then drops the second page
 * (MADV_DONTNEED: the THP stays, mapped by PTEs, with that subpage no
 * longer the process's) and writes a new value there, which lands in a
 * new page.  The guest reads the first page again, then the second: it
 * must see the new value.  A module that maps the still-compound page
 * with a 2 MiB leaf again hands the guest the dropped subpage, which the
 * kernel frees when it splits the THP: host memory the guest keeps.
 */
#include <stdlib.h>
#include <sys/mman.h>

#include "test_util.h"

#define SLOT		1
#define THP_GPA		0x4000000ULL	/* 64 MiB, after the test memory */
#define THP_SIZE	(4ULL << 20)
#define OLD		0x11111111U
#define NEW		0x22222222U

/* Report 1: page 0 and page 1; report 2: page 0 and page 1 again. */
GUEST_CODE(thp, 64,
	"mov $" TU_XSTR(THP_GPA) ", %rsi\n"
	"mov (%rsi), %ebx\n mov 4096(%rsi), %ecx\n"
	GUEST_UCALL_REPORT
	"mov $" TU_XSTR(THP_GPA) ", %rsi\n"
	"mov (%rsi), %ebx\n mov 4096(%rsi), %ecx\n"
	GUEST_UCALL_REPORT
	GUEST_UCALL_DONE);

int main(void)
{
	struct vmm_vcpu *vcpu;
	struct vmm_vm *vm;
	struct ucall uc;
	uint32_t *mem;
	int thp;
	long kb;

	thp = test_thp_enable();
	if (thp < 0)
		tap_skip_all("no transparent huge pages here (transparent_hugepage/enabled)");
	tap_plan(3);
	if (thp)
		tap_diag("THP was off; set to madvise for this test");
	vm = vm_create_with_one_vcpu(&vcpu, VMM_MODE_LONG64,
				     GUEST_CODE_PTR(thp), GUEST_CODE_LEN(thp));
	TEST_ASSERT_OK(vmm_mem_add(vm, SLOT, THP_GPA, THP_SIZE,
				   VMM_MEM_ALLOC_HUGE, (void **)&mem));
	mem[0] = OLD;
	mem[1024] = OLD;
	kb = test_anon_huge_kb(mem);
	TEST_ASSERT(kb >= 2048, "no transparent huge page behind the slot (AnonHugePages %ld kB)",
		    kb);
	tap_diag("slot backed by %ld kB of transparent huge pages", kb);

	vcpu_run_ucall(vcpu, &uc);
	tap_ok(uc.args[0] == OLD && uc.args[1] == OLD,
	       "guest reads the huge page (%#llx %#llx)",
	       (unsigned long long)uc.args[0], (unsigned long long)uc.args[1]);

	TEST_ASSERT(!madvise((char *)mem + 4096, 4096, MADV_DONTNEED),
		    "madvise: %s", strerror(errno));
	mem[1024] = NEW;
	tap_diag("after MADV_DONTNEED of page 1: AnonHugePages %ld kB",
		 test_anon_huge_kb(mem));

	vcpu_run_ucall(vcpu, &uc);
	tap_ok(uc.args[0] == OLD, "page 0 keeps its value (%#llx)",
	       (unsigned long long)uc.args[0]);
	tap_ok(uc.args[1] == NEW,
	       "page 1 is the process's new page, not the dropped subpage (%#llx, want %#x)",
	       (unsigned long long)uc.args[1], NEW);
	vcpu_run_ucall(vcpu, &uc);
	test_vm_free(vm);
	test_thp_restore();
	tap_exit();
}
