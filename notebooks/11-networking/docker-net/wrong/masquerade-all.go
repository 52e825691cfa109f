// expect-fail: peer-address-kept
// Wrong: masquerades everything from the subnet (no "! -o <bridge>"): with br_netfilter, traffic between two containers on the bridge is rewritten too, and each sees the other as the gateway.
package main

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
)

const netnsDir = "/run/netns"

// Network is what DIR/<name>.json holds.
type Network struct {
	Name      string               `json:"name"`
	Subnet    string               `json:"subnet"`  // 10.200.22.0/24
	Gateway   string               `json:"gateway"` // the bridge's address: the first one
	Rules     [][]string           `json:"rules"`   // iptables arguments after -A/-I, as added
	Endpoints map[string]*Endpoint `json:"endpoints"`
}

// Endpoint is one connected namespace.
type Endpoint struct {
	Address string `json:"address"` // 10.200.22.2
	HostIf  string `json:"hostIf"`  // the veth end in the host, a port of the bridge
}

var stateDir = flag.String("state-dir", "/var/lib/docker-net", "where the networks' state is kept")

func usage() {
	fmt.Fprintln(os.Stderr, `usage: docker-net [--state-dir DIR] create <name> <subnet>
       docker-net [--state-dir DIR] connect <name> <netns>
       docker-net [--state-dir DIR] disconnect <name> <netns>
       docker-net [--state-dir DIR] rm <name>`)
	os.Exit(2)
}

func main() {
	flag.Usage = usage
	flag.Parse()
	args := flag.Args()
	if len(args) < 2 {
		usage()
	}
	cmd, name := args[0], args[1]
	want := map[string]int{"create": 3, "connect": 3, "disconnect": 3, "rm": 2}[cmd]
	if want == 0 || len(args) != want {
		usage()
	}
	if !validIfname(name) {
		fail(fmt.Errorf("invalid network name %q: it names the bridge, so 1-15 of [A-Za-z0-9_.-]", name))
	}
	if err := os.MkdirAll(*stateDir, 0o755); err != nil {
		fail(err)
	}
	if err := lock(); err != nil {
		fail(err)
	}

	var err error
	switch cmd {
	case "create":
		err = create(name, args[2])
	case "connect":
		var addr string
		if addr, err = connect(name, args[2]); err == nil {
			fmt.Println(addr)
		}
	case "disconnect":
		err = disconnect(name, args[2])
	case "rm":
		err = remove(name)
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "docker-net:", err)
	os.Exit(1)
}

var ifnameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,15}$`)

func validIfname(s string) bool { return ifnameRE.MatchString(s) && s != "." && s != ".." }

// lockFile stays open (and referenced: a garbage-collected *os.File is closed) until exit.
var lockFile *os.File

// lock takes an exclusive flock(2) on DIR/.lock: two docker-nets at once wait for each
// other, so both cannot read the same free address. The kernel drops the lock when the
// process exits, however it exits.
func lock() error {
	f, err := os.OpenFile(filepath.Join(*stateDir, ".lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return fmt.Errorf("lock %s: %w", f.Name(), err)
	}
	lockFile = f
	return nil
}

func statePath(name string) string { return filepath.Join(*stateDir, name+".json") }

func load(name string) (*Network, error) {
	b, err := os.ReadFile(statePath(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no network %q (in %s)", name, *stateDir)
	}
	if err != nil {
		return nil, err
	}
	var n Network
	if err := json.Unmarshal(b, &n); err != nil {
		return nil, fmt.Errorf("%s: %w", statePath(name), err)
	}
	if n.Endpoints == nil {
		n.Endpoints = map[string]*Endpoint{}
	}
	return &n, nil
}

// save writes the state atomically: a new file renamed over the old one, so a crash never
// leaves half a file.
func save(n *Network) error {
	b, err := json.MarshalIndent(n, "", "  ")
	if err != nil {
		return err
	}
	tmp := statePath(n.Name) + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, statePath(n.Name))
}

func run(file string, args ...string) error {
	out, err := exec.Command(file, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", file, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

func ip(args ...string) error { return run("ip", args...) }

// IPv4 addresses as numbers, to count through a subnet.
func toU32(ip net.IP) uint32  { return binary.BigEndian.Uint32(ip.To4()) }
func fromU32(v uint32) net.IP { b := make(net.IP, 4); binary.BigEndian.PutUint32(b, v); return b }

func parseSubnet(s string) (*net.IPNet, error) {
	ip, subnet, err := net.ParseCIDR(s)
	if err != nil || ip.To4() == nil {
		return nil, fmt.Errorf("invalid IPv4 subnet %q", s)
	}
	if !ip.Equal(subnet.IP) {
		return nil, fmt.Errorf("%s is not a subnet: did you mean %s?", s, subnet)
	}
	if ones, _ := subnet.Mask.Size(); ones > 30 {
		return nil, fmt.Errorf("%s is too small: no room for a gateway and a container", s)
	}
	return subnet, nil
}

func overlaps(a, b *net.IPNet) bool { return a.Contains(b.IP) || b.Contains(a.IP) }

func create(name, cidr string) error {
	subnet, err := parseSubnet(cidr)
	if err != nil {
		return err
	}
	if _, err := os.Stat(statePath(name)); err == nil {
		return fmt.Errorf("network %q already exists", name)
	}
	// Like Docker: two networks with overlapping subnets would fight over the routes.
	others, _ := filepath.Glob(filepath.Join(*stateDir, "*.json"))
	for _, p := range others {
		o, err := load(strings.TrimSuffix(filepath.Base(p), ".json"))
		if err != nil {
			continue
		}
		if _, theirs, err := net.ParseCIDR(o.Subnet); err == nil && overlaps(subnet, theirs) {
			return fmt.Errorf("%s overlaps network %q (%s)", subnet, o.Name, o.Subnet)
		}
	}
	ones, _ := subnet.Mask.Size()
	gw := fromU32(toU32(subnet.IP) + 1)
	n := &Network{Name: name, Subnet: subnet.String(), Gateway: gw.String(), Endpoints: map[string]*Endpoint{}}

	// If a step fails, what was done so far is undone: no half-made network is left behind.
	var undo []func()
	rollback := func(err error) error {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
		return err
	}
	if err := ip("link", "add", name, "type", "bridge"); err != nil {
		return err
	}
	undo = append(undo, func() { ip("link", "delete", name) })
	for _, step := range [][]string{
		{"addr", "add", fmt.Sprintf("%s/%d", gw, ones), "dev", name},
		{"link", "set", name, "up"},
	} {
		if err := ip(step...); err != nil {
			return rollback(err)
		}
	}
	// Without forwarding the host drops every packet not addressed to itself. Left on by
	// rm, like Docker: other networks may need it.
	if err := os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1\n"), 0o644); err != nil {
		return rollback(fmt.Errorf("enable ip_forward: %w", err))
	}
	rules := [][]string{
		// Source NAT for what leaves the subnet by any interface but the bridge. "! -o"
		// matters: between two containers on the bridge, addresses must stay as they are.
		{"-t", "nat", "POSTROUTING", "-s", n.Subnet, "-j", "MASQUERADE"},
		// The containers may send anywhere (each other included: with br_netfilter, bridged
		// frames pass FORWARD too); only replies come back in. Inserted at the top, ahead
		// of a firewall's catch-all REJECT; a FORWARD policy of DROP is common.
		{"-t", "filter", "FORWARD", "-i", name, "-j", "ACCEPT"},
		{"-t", "filter", "FORWARD", "-o", name, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"},
	}
	for _, r := range rules {
		op := "-I"
		if r[1] == "nat" {
			op = "-A"
		}
		args := append([]string{r[0], r[1], op}, r[2:]...)
		if err := run("iptables", args...); err != nil {
			return rollback(err)
		}
		rule := r
		undo = append(undo, func() { deleteRule(rule) })
		n.Rules = append(n.Rules, r)
	}
	if err := save(n); err != nil {
		return rollback(err)
	}
	return nil
}

// deleteRule: iptables -t <table> -D <chain> <match…>: the rule with exactly this spec.
func deleteRule(r []string) error {
	return run("iptables", append([]string{r[0], r[1], "-D"}, r[2:]...)...)
}

func connect(name, netns string) (string, error) {
	n, err := load(name)
	if err != nil {
		return "", err
	}
	if netns == "" || netns == "." || netns == ".." || strings.Contains(netns, "/") {
		return "", fmt.Errorf("invalid namespace name %q", netns)
	}
	if _, ok := n.Endpoints[netns]; ok {
		return "", fmt.Errorf("%s is already connected to %s (%s)", netns, name, n.Endpoints[netns].Address)
	}
	if _, err := os.Stat(filepath.Join(netnsDir, netns)); err != nil {
		return "", fmt.Errorf("network namespace %q does not exist", netns)
	}
	_, subnet, _ := net.ParseCIDR(n.Subnet)
	ones, _ := subnet.Mask.Size()
	addr, err := allocate(n, subnet)
	if err != nil {
		return "", err
	}
	hostIf, err := vethName()
	if err != nil {
		return "", err
	}
	cidr := fmt.Sprintf("%s/%d", addr, ones)
	if err := ip("link", "add", hostIf, "type", "veth", "peer", "name", "eth0", "netns", netns); err != nil {
		return "", err
	}
	for _, step := range [][]string{
		{"link", "set", hostIf, "master", name, "up"},
		{"-n", netns, "link", "set", "lo", "up"},
		{"-n", netns, "addr", "add", cidr, "dev", "eth0"},
		{"-n", netns, "link", "set", "eth0", "up"},
		{"-n", netns, "route", "add", "default", "via", n.Gateway},
	} {
		if err := ip(step...); err != nil {
			ip("link", "delete", hostIf) // takes eth0 with it
			return "", err
		}
	}
	// Recorded before we say anything: once printed, the address is taken.
	n.Endpoints[netns] = &Endpoint{Address: addr.String(), HostIf: hostIf}
	if err := save(n); err != nil {
		ip("link", "delete", hostIf)
		return "", err
	}
	return cidr, nil
}

// allocate returns the lowest address of the subnet that is neither the network address,
// the gateway, the broadcast address, nor held by an endpoint.
func allocate(n *Network, subnet *net.IPNet) (net.IP, error) {
	used := map[string]bool{n.Gateway: true}
	for _, e := range n.Endpoints {
		used[e.Address] = true
	}
	ones, bits := subnet.Mask.Size()
	first := toU32(subnet.IP)
	last := first + uint32(1)<<uint(bits-ones) - 1 // the broadcast address
	for a := first + 1; a < last; a++ {
		if ip := fromU32(a); !used[ip.String()] {
			return ip, nil
		}
	}
	return nil, fmt.Errorf("no free address left in %s", n.Subnet)
}

// vethName: "veth" and 7 random hex digits, like Docker's host ends.
func vethName() (string, error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "veth" + hex.EncodeToString(b)[:7], nil
}

// deleteLink deletes a link; one that is gone already (its namespace was deleted, which
// destroys the pair) is fine.
func deleteLink(ifname string) error {
	if _, err := net.InterfaceByName(ifname); err != nil {
		return nil
	}
	return ip("link", "delete", ifname)
}

func disconnect(name, netns string) error {
	n, err := load(name)
	if err != nil {
		return err
	}
	e, ok := n.Endpoints[netns]
	if !ok {
		return fmt.Errorf("%s is not connected to %s", netns, name)
	}
	// Deleting one end of a veth pair deletes the other: eth0 leaves the namespace.
	if err := deleteLink(e.HostIf); err != nil {
		return err
	}
	delete(n.Endpoints, netns)
	return save(n)
}

func remove(name string) error {
	n, err := load(name)
	if err != nil {
		return err
	}
	for netns, e := range n.Endpoints {
		if err := deleteLink(e.HostIf); err != nil {
			return err
		}
		delete(n.Endpoints, netns)
	}
	for len(n.Rules) > 0 {
		r := n.Rules[len(n.Rules)-1]
		if err := deleteRule(r); err != nil && ruleExists(r) {
			save(n)
			return err
		}
		n.Rules = n.Rules[:len(n.Rules)-1]
	}
	if err := deleteLink(name); err != nil {
		save(n)
		return err
	}
	return os.Remove(statePath(name))
}

// ruleExists: iptables -C checks for a rule with exactly this spec.
func ruleExists(r []string) bool {
	return run("iptables", append([]string{r[0], r[1], "-C"}, r[2:]...)...) == nil
}
