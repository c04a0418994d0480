package sdk

// register stores p in *slot, the one plugin a module serves. It panics when
// p is nil or a plugin is already registered: two plugins in one module is a
// build mistake, and keeping either one silently would serve the wrong code.
func register(slot *Plugin, p Plugin) {
	if p == nil {
		panic("sdk: Register called with a nil plugin")
	}
	if *slot != nil {
		panic("sdk: Register called twice: a module serves exactly one plugin")
	}
	*slot = p
}
