"""The etcd_initial_cluster filter: the settings a member starts with, in a new cluster and when it joins one."""

import pytest

FILTER = "etcd"  # imported by the fixture flt (conftest.py)

HOSTS = ["db-1", "db-2", "db-3"]
ADDRESSES = {"db-1": "10.0.0.1", "db-2": "10.0.0.2", "db-3": "10.0.0.3", "db-4": "10.0.0.4", "db-5": "10.0.0.5"}
ALL = "db-1=https://10.0.0.1:2380,db-2=https://10.0.0.2:2380,db-3=https://10.0.0.3:2380"


def listed(*names):
    """Members as `etcdctl member list -w json` gives them; a member added but not started yet has no name."""
    return [{"ID": 1000 + index, "name": "", "peerURLs": ["https://%s:2380" % ADDRESSES[name]], "clientURLs": []}
            for index, name in enumerate(names)]


def plan(flt, host, hosts=tuple(HOSTS), with_data=(), members=(), in_place=None):
    return flt.etcd_initial_cluster(host, list(hosts), ADDRESSES, 2380, list(with_data), list(members), in_place)


def test_filter_is_registered(flt):
    assert flt.FilterModule().filters()["etcd_initial_cluster"] is flt.etcd_initial_cluster


@pytest.mark.parametrize("host", HOSTS)
def test_new_cluster_lists_every_host(flt, host):
    assert plan(flt, host) == {"cluster": ALL, "state": "new", "unknown": []}


def test_member_with_data_keeps_the_file_in_place(flt):
    in_place = 'ETCD_NAME="db-1"\nETCD_INITIAL_CLUSTER="db-1=https://10.0.0.1:2380"\nETCD_INITIAL_CLUSTER_STATE="existing"\n'
    got = plan(flt, "db-1", with_data=HOSTS, in_place=in_place)
    assert (got["cluster"], got["state"]) == ("db-1=https://10.0.0.1:2380", "existing")


@pytest.mark.parametrize("in_place", [None, "", 'ETCD_INITIAL_CLUSTER="db-1=https://10.0.0.1:2380"\n'])
def test_member_with_data_and_no_settings_in_place_gets_those_of_a_new_cluster(flt, in_place):
    assert plan(flt, "db-2", with_data=HOSTS, in_place=in_place)["cluster"] == ALL


def test_replaced_member_joins_the_two_that_stay(flt):
    got = plan(flt, "db-3", with_data=["db-1", "db-2"], members=listed("db-1", "db-2"))
    assert got == {"cluster": ALL, "state": "existing", "unknown": []}


def test_joining_members_join_one_at_a_time_in_inventory_order(flt):
    hosts = HOSTS + ["db-4", "db-5"]
    fourth = plan(flt, "db-4", hosts=hosts, with_data=HOSTS, members=listed(*HOSTS))
    fifth = plan(flt, "db-5", hosts=hosts, with_data=HOSTS, members=listed(*HOSTS))
    assert fourth["cluster"] == ALL + ",db-4=https://10.0.0.4:2380"
    assert fifth["cluster"] == fourth["cluster"] + ",db-5=https://10.0.0.5:2380"
    assert fourth["state"] == fifth["state"] == "existing"


def test_member_added_by_an_earlier_run_counts_for_those_before_it(flt):
    """db-5 was added (member add) by a run that failed before it started: etcd lists it, so db-4 must too."""
    hosts = HOSTS + ["db-4", "db-5"]
    got = plan(flt, "db-4", hosts=hosts, with_data=HOSTS, members=listed(*(HOSTS + ["db-5"])))
    assert got["cluster"].split(",")[-2:] == ["db-4=https://10.0.0.4:2380", "db-5=https://10.0.0.5:2380"]


def test_member_the_inventory_does_not_list_is_unknown(flt):
    got = plan(flt, "db-3", with_data=["db-1", "db-2"], members=listed("db-1", "db-2", "db-4"))
    assert got["unknown"] == ["https://10.0.0.4:2380"]


def test_ipv6_peer_address_in_brackets(flt):
    got = flt.etcd_initial_cluster("a", ["a"], {"a": "fd00::1"}, 2380, [])
    assert got["cluster"] == "a=https://[fd00::1]:2380"


@pytest.mark.parametrize("host, hosts, addresses", [
    pytest.param("db-9", HOSTS, ADDRESSES, id="host-not-listed"),
    pytest.param("db-1", "db-1", ADDRESSES, id="hosts-a-string"),
    pytest.param("db-1", HOSTS, {"db-1": "10.0.0.1"}, id="address-missing"),
])
def test_bad_input_is_refused(flt, host, hosts, addresses):
    from ansible.errors import AnsibleFilterError
    with pytest.raises(AnsibleFilterError):
        flt.etcd_initial_cluster(host, hosts, addresses, 2380, [])
