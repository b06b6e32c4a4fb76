"""What the public intake and the staff side both need, below both apps.

Nothing here imports intake/ or cases/, reads a key or decrypts anything: the public side may
import any of it.
"""
