# @summary Settings for INI files: file name -> section -> key -> value.
#
# A value of `undef` removes the key from its section.
type Hvrt::IniSettings = Hash[
  String[1],
  Hash[String[1], Hash[String[1], Optional[Scalar]]]
]
