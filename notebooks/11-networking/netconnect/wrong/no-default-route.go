// expect-fail: default-route
// Wrong: connects and addresses the container but adds no default route: the gateway answers, nothing beyond the subnet does.
package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: netconnect <netns> <bridge> <ip/prefix>")
		os.Exit(2)
	}
	hostEnd, err := connect(os.Args[1], os.Args[2], os.Args[3])
	if err != nil {
		fmt.Fprintln(os.Stderr, "netconnect:", err)
		os.Exit(1)
	}
	fmt.Println(hostEnd) // the bridge port's name, for `ip link show <it>`
}

func connect(netns, bridge, cidr string) (string, error) {
	addr, subnet, err := net.ParseCIDR(cidr)
	if err != nil || addr.To4() == nil {
		return "", fmt.Errorf("invalid address %q: want IPv4 CIDR such as 10.200.19.2/24", cidr)
	}
	if _, err := os.Stat("/run/netns/" + netns); err != nil || strings.Contains(netns, "/") {
		return "", fmt.Errorf("no network namespace %q in /run/netns", netns)
	}
	gw, err := bridgeAddress(bridge) // used only to check the address
	if err != nil {
		return "", err
	}
	if !subnet.Contains(gw) || addr.Equal(gw) || addr.Equal(subnet.IP) {
		return "", fmt.Errorf("%s is not a free host address in the subnet of %s (%s)", cidr, bridge, gw)
	}

	// The host end needs a name unique on this host; Docker uses "veth" + random hex too.
	// The container end is created directly in the namespace, named eth0 there: creating
	// it here first would fail if the host has an eth0 of its own (it usually does).
	hostEnd, err := randomName("veth")
	if err != nil {
		return "", err
	}
	if err := ip("link", "add", hostEnd, "type", "veth", "peer", "name", "eth0", "netns", netns); err != nil {
		return "", err
	}
	steps := [][]string{
		// The host end becomes a port of the bridge, and is brought up.
		{"link", "set", hostEnd, "master", bridge},
		{"link", "set", hostEnd, "up"},
		// The container end: address, up (its loopback too), and only then the default
		// route — the kernel refuses a gateway it cannot reach through an up interface.
		{"-n", netns, "addr", "add", cidr, "dev", "eth0"},
		{"-n", netns, "link", "set", "eth0", "up"},
		{"-n", netns, "link", "set", "lo", "up"},
		// (the address's connected route is enough... for the subnet only)
	}
	for _, s := range steps {
		if err := ip(s...); err != nil {
			ip("link", "delete", hostEnd) // deleting one end deletes the pair
			return "", err
		}
	}
	return hostEnd, nil
}

// bridgeAddress is the first IPv4 address of the bridge: the containers' gateway.
func bridgeAddress(bridge string) (net.IP, error) {
	var links []struct {
		LinkInfo struct {
			Kind string `json:"info_kind"`
		} `json:"linkinfo"`
		AddrInfo []struct {
			Family string `json:"family"`
			Local  string `json:"local"`
		} `json:"addr_info"`
	}
	out, err := exec.Command("ip", "-d", "-json", "addr", "show", "dev", bridge).Output()
	if err != nil || json.Unmarshal(out, &links) != nil || len(links) != 1 {
		return nil, fmt.Errorf("no interface %q", bridge)
	}
	if links[0].LinkInfo.Kind != "bridge" {
		return nil, fmt.Errorf("%s is not a bridge", bridge)
	}
	for _, a := range links[0].AddrInfo {
		if a.Family == "inet" {
			return net.ParseIP(a.Local).To4(), nil
		}
	}
	return nil, fmt.Errorf("bridge %s has no IPv4 address to serve as gateway", bridge)
}

func randomName(prefix string) (string, error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return prefix + hex.EncodeToString(b), nil // 12 characters: interface names have 15 at most
}

// ip runs iproute2's ip and turns its complaint into the error.
func ip(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %s", strings.Join(args, " "), strings.TrimSpace(string(out)))
	}
	return nil
}
