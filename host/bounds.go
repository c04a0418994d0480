package host

import "strconv"

// Bounds of the group field: a user group is a small non-negative number
// (the original's IntegerField stores it in a 32-bit column), so -1 or
// 2^63-1 is a 400, not a new user "G-1-..." created by any code.
const (
	minGroup = 0
	maxGroup = 1<<31 - 1
)

// group reads the optional group field (default 0), bounded to
// minGroup..maxGroup with DRF's messages.
func (fe *fieldErrors) group(name string, v value) int64 {
	g := fe.integer(name, v, false, 0)
	switch {
	case fe.m != nil && len(fe.m[name]) > 0:
		return 0
	case g < minGroup:
		fe.add(name, "Ensure this value is greater than or equal to "+strconv.Itoa(minGroup)+".")
		return 0
	case g > maxGroup:
		fe.add(name, "Ensure this value is less than or equal to "+strconv.Itoa(maxGroup)+".")
		return 0
	}
	return g
}
