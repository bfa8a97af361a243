# @summary The Hyper-V virtual switch of a node, as hvrt's node state describes it.
#
# An existing switch named `name` must have `type`; a missing one is created only
# when `create` is true (an External one bound to `adapter`).
type Hvrt::VSwitch = Struct[{
    name                => Pattern[/\A[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}\z/],
    type                => Enum['External', 'Internal', 'Private'],
    create              => Boolean,
    adapter             => Optional[Pattern[/\A[^"\r\n]+\z/]],
    allow_management_os => Boolean,
}]
