"""After converge, idempotence, a re-run that compiled nothing and a reboot
of both guests: SCST built by scst_build serves its LUN again, the session is
back, and the data written before the reboot is still there."""

import json

import pytest

MODULES = ("scst", "scst_vdisk", "iscsi_scst")


@pytest.mark.parametrize("module", MODULES)
def test_module_loaded(target, module):
    assert target.file(f"/sys/module/{module}").is_directory


def test_only_the_modules_asked_for_in_dkms_conf(target):
    installed = json.loads(target.file("/var/lib/scst-ansible/installed.json").content_string)
    conf = target.file(f"/usr/src/scst-{installed['version']}/dkms.conf").content_string
    names = sorted(
        line.split("=", 1)[1].strip('"') for line in conf.splitlines() if line.startswith("BUILT_MODULE_NAME")
    )
    assert names == ["iscsi-scst", "scst", "scst_vdisk"]
    assert "AUTOINSTALL=yes" in conf.splitlines()
    assert "make -s 2release" in conf


def test_installed_record(target):
    installed = json.loads(target.file("/var/lib/scst-ansible/installed.json").content_string)
    assert installed["method"] == "dkms"
    assert installed["version_name"]
    assert len(installed["source"]["sha256"]) == 64
    assert installed["kernel"] == target.check_output("uname -r")


def test_dkms_installed_for_running_kernel(target):
    status = target.check_output("dkms status -m scst")
    kver = target.check_output("uname -r")
    assert f", {kver}, " in status and "installed" in status
    # one version only
    assert len({line.split(",")[0] for line in status.splitlines()}) == 1


def test_service_and_daemon(target):
    assert target.service("scst").is_enabled
    assert target.service("scst").is_running
    assert target.process.filter(comm="iscsi-scstd")
    listening = target.check_output("ss -Hltn 'sport = :3260'")
    assert ":3260" in listening


def test_no_modules_load_d(target):
    """scst loaded before scst.service would make /etc/init.d/scst skip iscsi-scstd and scst.conf."""
    assert not target.file("/etc/modules-load.d/scst.conf").exists


def test_target_enabled_with_session(target, lab):
    base = f"/sys/kernel/scst_tgt/targets/iscsi/{lab['lab_target_iqn']}"
    assert target.file(f"{base}/enabled").content_string.startswith("1")
    sessions = target.check_output("ls %s/sessions", base).split()
    assert any(lab["lab_initiator_iqn"] in s for s in sessions)


def test_session_on_initiator(initiator, lab):
    sessions = initiator.check_output("iscsiadm -m session")
    assert f"{lab['lab_portal']}:3260,1 {lab['lab_target_iqn']}" in sessions


def test_data_written_before_the_reboot(initiator, disk):
    written = initiator.file("/root/lab-written.sha256").content_string.strip()
    read = initiator.check_output(
        "dd if=%s bs=1M count=4 iflag=direct status=none | sha256sum | cut -d' ' -f1", disk
    )
    assert read == written


def test_data_reaches_the_backing_file(initiator, target, lab, disk):
    written = initiator.check_output(
        "head -c 1M /dev/urandom > /run/lab-b && sha256sum < /run/lab-b | cut -d' ' -f1"
    )
    initiator.check_output(
        "dd if=/run/lab-b of=%s bs=1M seek=8 oflag=direct conv=fsync status=none && rm -f /run/lab-b", disk
    )
    read = initiator.check_output(
        "dd if=%s bs=1M skip=8 count=1 iflag=direct status=none | sha256sum | cut -d' ' -f1", disk
    )
    assert read == written
    on_target = target.check_output(
        "dd if=%s bs=1M skip=8 count=1 status=none | sha256sum | cut -d' ' -f1", lab["lab_backing_file"]
    )
    assert on_target == written
